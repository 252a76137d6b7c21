/**
 * What `--accounts`, `--regions`, `--since` and `--until` select, read from
 * where CloudTrail puts its log files: S3 keys (and the same paths on disk)
 *
 *   [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
 *
 * and CloudWatch Logs stream names (`ACCOUNT_CloudTrail_REGION`, with the
 * organization id first for an organization trail).
 *
 * A file is selected by its account, its Region and the minute in its name
 * (when CloudTrail delivered it; the day of its folder when the name has no
 * minute): the minute [T, T + 60 s) must overlap [since, until). Files do not
 * say which events they hold before they are read, so a file delivered just
 * after --until may hold events from before it, and one delivered just after
 * --since events from before it: the selection is exactly the files whose
 * keys say so, as `aws s3 cp` of the same day folders would give.
 */
import { UsageError } from './event-source';

/** The narrowing flags, parsed. */
export interface Narrowing {
  readonly accounts?: ReadonlySet<string>;
  readonly regions?: ReadonlySet<string>;
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number;
  /** Milliseconds since the epoch, exclusive. */
  readonly until?: number;
}

/** Where a CloudTrail log file is, read from its key. */
export interface CloudTrailKey {
  /** The organization id (`o-...`) of an organization trail's layout. */
  readonly organization?: string;
  readonly account: string;
  readonly region: string;
  /** Midnight (UTC) of the day folder, in milliseconds. */
  readonly day: number;
  /** The delivery minute in the file name, in milliseconds; undefined when the name has none. */
  readonly minute?: number;
}

const ACCOUNT = /^\d{12}$/;
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const MINUTE_IN_NAME = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z(?:_|\.|$)/;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Whether any narrowing flag is set. */
export function isNarrowed(n: Narrowing): boolean {
  return n.accounts !== undefined || n.regions !== undefined || n.since !== undefined || n.until !== undefined;
}

/** The segments after the first `AWSLogs` segment, or undefined when there is none. */
function afterAwsLogs(segments: readonly string[]): string[] | undefined {
  const i = segments.indexOf('AWSLogs');
  return i < 0 ? undefined : segments.slice(i + 1);
}

function utcDay(y: string, m: string, d: string): number | undefined {
  const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const back = new Date(t);
  return back.getUTCFullYear() === Number(y) && back.getUTCMonth() === Number(m) - 1 && back.getUTCDate() === Number(d) ? t : undefined;
}

/** Reads a key (or a path with `/` separators) in CloudTrail's layout; undefined when it is not in it. */
export function parseCloudTrailKey(key: string): CloudTrailKey | undefined {
  const s = afterAwsLogs(key.split('/'));
  if (!s) return undefined;
  const organization = s.length > 0 && ORGANIZATION.test(s[0]) ? s.shift() : undefined;
  if (s.length !== 7) return undefined;
  const [account, service, region, y, m, d, name] = s;
  if (!ACCOUNT.test(account) || service !== 'CloudTrail' || !REGION.test(region) || !/^\d{4}$/.test(y) || !/^\d{2}$/.test(m) || !/^\d{2}$/.test(d)) return undefined;
  const day = utcDay(y, m, d);
  if (day === undefined || name === '') return undefined;
  const mm = MINUTE_IN_NAME.exec(name);
  let minute: number | undefined;
  if (mm) {
    const fileDay = utcDay(mm[1], mm[2], mm[3]);
    if (fileDay !== undefined && Number(mm[4]) < 24 && Number(mm[5]) < 60) minute = fileDay + Number(mm[4]) * 3_600_000 + Number(mm[5]) * MINUTE_MS;
  }
  return { ...(organization ? { organization } : {}), account, region, day, ...(minute !== undefined ? { minute } : {}) };
}

/** Whether the interval [from, to) overlaps [since, until). */
function overlaps(from: number, to: number, n: Narrowing): boolean {
  return (n.since === undefined || to > n.since) && (n.until === undefined || from < n.until);
}

/** Whether the narrowing selects this key: it must be in CloudTrail's layout, and match every flag. */
export function selectsKey(key: string, n: Narrowing): boolean {
  const k = parseCloudTrailKey(key);
  if (!k) return false;
  if (n.accounts && !n.accounts.has(k.account)) return false;
  if (n.regions && !n.regions.has(k.region)) return false;
  return k.minute !== undefined ? overlaps(k.minute, k.minute + MINUTE_MS, n) : overlaps(k.day, k.day + DAY_MS, n);
}

/**
 * Whether a key under `dir` (a prefix ending with `/`) can be selected, so
 * that listing it is worth it. Only layout levels it names are checked: a
 * folder before `AWSLogs/` may still hold one.
 */
export function mayHoldSelected(dir: string, n: Narrowing): boolean {
  const s = afterAwsLogs(dir.split('/').slice(0, -1));
  if (!s) return true;
  if (s.length > 0 && ORGANIZATION.test(s[0])) s.shift();
  const [account, service, region, y, m, d] = s;
  if (account !== undefined && (!ACCOUNT.test(account) || (n.accounts && !n.accounts.has(account)))) return false;
  if (service !== undefined && service !== 'CloudTrail') return false;
  if (region !== undefined && (!REGION.test(region) || (n.regions && !n.regions.has(region)))) return false;
  if (y !== undefined) {
    if (!/^\d{4}$/.test(y)) return false;
    const year = Number(y);
    if (!overlaps(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1), n)) return false;
    if (m !== undefined) {
      if (!/^\d{2}$/.test(m) || Number(m) < 1 || Number(m) > 12) return false;
      const month = Number(m) - 1;
      if (!overlaps(Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1), n)) return false;
      if (d !== undefined) {
        const day = /^\d{2}$/.test(d) ? utcDay(y, m, d) : undefined;
        if (day === undefined || !overlaps(day, day + DAY_MS, n)) return false;
      }
    }
  }
  return s.length <= 6;
}

/** The day folder `YYYY/MM/DD` of a time (UTC). */
export function dayFolder(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Whether a CloudWatch Logs stream of a CloudTrail trail (`[o-ID_]ACCOUNT_CloudTrail_REGION`) is selected by account and Region. */
export function selectsLogStream(name: string, n: Narrowing): boolean {
  if (!n.accounts && !n.regions) return true;
  const m = /^(?:o-[a-z0-9]{10,32}_)?(\d{12})_CloudTrail_([a-z0-9-]+)$/.exec(name);
  if (!m) return false;
  return (!n.accounts || n.accounts.has(m[1])) && (!n.regions || n.regions.has(m[2]));
}

/** `--accounts`: comma-separated 12-digit account ids. */
export function parseAccounts(value: string): Set<string> {
  const ids = value.split(',').map(v => v.trim()).filter(v => v !== '');
  const bad = ids.filter(v => !ACCOUNT.test(v));
  if (ids.length === 0 || bad.length > 0) {
    throw new UsageError(`--accounts "${value}": give 12-digit AWS account ids separated by commas (e.g. --accounts 111122223333,444455556666)${bad.length > 0 ? `; not an account id: ${bad.map(b => JSON.stringify(b)).join(', ')}` : ''}.`);
  }
  return new Set(ids);
}

/** `--regions`: comma-separated Region names. */
export function parseRegions(value: string): Set<string> {
  const names = value.split(',').map(v => v.trim()).filter(v => v !== '');
  const bad = names.filter(v => !REGION.test(v));
  if (names.length === 0 || bad.length > 0) {
    throw new UsageError(`--regions "${value}": give AWS Region names separated by commas (e.g. --regions us-east-1,eu-west-1)${bad.length > 0 ? `; not a Region: ${bad.map(b => JSON.stringify(b)).join(', ')}` : ''}.`);
  }
  return new Set(names);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const RELATIVE = /^(\d+)\s*(m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = { m: MINUTE_MS, min: MINUTE_MS, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/**
 * A `--since`/`--until` value in milliseconds: an ISO 8601 date (midnight
 * UTC) or date-time (UTC unless it has an offset), or a time before `now`:
 * `30m`, `12h`, `7d`, `2w`.
 */
export function parseTime(flag: string, value: string, now: number): number {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]];
  const m = ISO_TIME.exec(v);
  if (m) {
    const day = utcDay(m[1], m[2], m[3]);
    const [h, min, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    if (day !== undefined && h < 24 && min < 60 && sec < 60) {
      let offset = 0;
      const zone = m[8];
      if (zone !== undefined && zone !== 'Z') {
        const digits = zone.slice(1).replace(':', '');
        offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * MINUTE_MS;
      }
      const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
      return day + h * 3_600_000 + min * MINUTE_MS + sec * 1000 + ms - offset;
    }
  }
  throw new UsageError(`${flag} "${value}" is not a time: give an ISO 8601 date or date-time in UTC (2024-03-01, 2024-03-01T10:00Z, 2024-03-01T10:00:00+02:00) or a time ago (30m, 12h, 7d, 2w).`);
}

/** The narrowing of the command line; throws UsageError for a bad value or --since not before --until. */
export function parseNarrowing(flags: { accounts?: string; regions?: string; since?: string; until?: string }, now: number): Narrowing {
  const n: Narrowing = {
    ...(flags.accounts !== undefined ? { accounts: parseAccounts(flags.accounts) } : {}),
    ...(flags.regions !== undefined ? { regions: parseRegions(flags.regions) } : {}),
    ...(flags.since !== undefined ? { since: parseTime('--since', flags.since, now) } : {}),
    ...(flags.until !== undefined ? { until: parseTime('--until', flags.until, now) } : {}),
  };
  if (n.since !== undefined && n.until !== undefined && n.since >= n.until) {
    throw new UsageError(`--since (${new Date(n.since).toISOString()}) must be before --until (${new Date(n.until).toISOString()}).`);
  }
  return n;
}
