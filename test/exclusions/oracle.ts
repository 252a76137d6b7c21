/**
 * An independent model of what an exclusion means, written without the
 * compiler or the filter-pattern engine: an event is excluded when the field
 * the exclusion names is present, is a string (or number), and matches the
 * value; source-IP exclusions are checked with real CIDR arithmetic.
 */
import { Exclusion, ExclusionKind } from '../../src/exclusions';

function get(record: any, path: string): unknown {
  let v: any = record;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) return undefined;
    v = v[part];
  }
  return v;
}

/** `*` only at the ends, as CloudWatch Logs treats it. */
function glob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.startsWith('*') ? '.*' : ''}${escapeRe(pattern.replace(/^\*/, '').replace(/\*$/, ''))}${pattern.length > 1 && pattern.endsWith('*') ? '.*' : ''}$`, 's');
  return re.test(value);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return m.slice(1).reduce((acc, o) => acc * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  if (cidr.endsWith('.*')) {
    const octets = cidr.slice(0, -2).split('.');
    cidr = `${[...octets, ...Array(4 - octets.length).fill('0')].join('.')}/${octets.length * 8}`;
  }
  if (!cidr.includes('/')) return ip === cidr;
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = ipv4ToInt(ip);
  const n = ipv4ToInt(net);
  if (a === undefined || n === undefined) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(n / size);
}

function stringField(record: any, path: string): string | undefined {
  const v = get(record, path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Whether the exclusion removes this record (given the exclusion applies to the control). */
export function oracleExcludes(e: Exclusion, record: any): boolean {
  switch (e.kind) {
    case ExclusionKind.ROLE_NAME: {
      const v = stringField(record, 'userIdentity.sessionContext.sessionIssuer.userName');
      return v !== undefined && glob(e.value, v);
    }
    case ExclusionKind.ROLE: {
      const v = stringField(record, 'userIdentity.sessionContext.sessionIssuer.arn');
      return v !== undefined && v === e.value;
    }
    case ExclusionKind.PRINCIPAL_ARN: {
      const isRole = /:role\//.test(e.value);
      const isCaller = /:(assumed-role|user|federated-user)\//.test(e.value) || /:root$/.test(e.value);
      const fields = isRole ? ['userIdentity.sessionContext.sessionIssuer.arn']
        : isCaller ? ['userIdentity.arn']
          : ['userIdentity.arn', 'userIdentity.sessionContext.sessionIssuer.arn'];
      return fields.some(f => {
        const v = stringField(record, f);
        return v !== undefined && glob(e.value, v);
      });
    }
    case ExclusionKind.USER_AGENT: {
      const v = stringField(record, 'userAgent');
      return v !== undefined && glob(e.value, v);
    }
    case ExclusionKind.SOURCE_IP: {
      const v = stringField(record, 'sourceIPAddress');
      return v !== undefined && inCidr(v, e.value);
    }
    case ExclusionKind.EVENT_NAME: {
      const v = stringField(record, 'eventName');
      return v !== undefined && glob(e.value, v);
    }
    case ExclusionKind.JSON_FIELD:
      throw new Error('oracle: JSON_FIELD needs its selector; test it separately');
  }
}

/** The field path an exclusion reads, for counting records that lack it. */
export function oracleFields(e: Exclusion): string[] {
  switch (e.kind) {
    case ExclusionKind.ROLE_NAME: return ['userIdentity.sessionContext.sessionIssuer.userName'];
    case ExclusionKind.ROLE: return ['userIdentity.sessionContext.sessionIssuer.arn'];
    case ExclusionKind.PRINCIPAL_ARN: return ['userIdentity.arn', 'userIdentity.sessionContext.sessionIssuer.arn'];
    case ExclusionKind.USER_AGENT: return ['userAgent'];
    case ExclusionKind.SOURCE_IP: return ['sourceIPAddress'];
    case ExclusionKind.EVENT_NAME: return ['eventName'];
    case ExclusionKind.JSON_FIELD: return [];
  }
}

export function lacksField(record: any, path: string): boolean {
  return get(record, path) === undefined;
}
