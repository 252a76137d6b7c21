/**
 * `replay s3://BUCKET/PREFIX`: the CloudTrail log files under a prefix, as
 * inputs, in key order.
 *
 * Without narrowing, every object whose name a directory walk would read
 * (`*.json.gz`, `*.json`, ...; CloudTrail-Digest skipped) is listed with one
 * recursive listing. With `--accounts`, `--regions`, `--since` or `--until`,
 * only keys in CloudTrail's layout that the flags select are read
 * (src/replay/narrowing.ts), and the listing itself is narrowed before any
 * object is read: the folders are walked one level at a time (`Delimiter`)
 * down to each account's Region folder, skipping accounts, Regions and
 * folders the flags exclude; a Region folder is then listed from the first
 * day of --since (`StartAfter`) and the listing stops after the last day
 * of --until.
 *
 * Objects are fetched as they are read (the parallel reader fetches several
 * at once). A response that breaks off is resumed from the next byte
 * (`Range`, with `If-Match` on the ETag, so a changed object is reported,
 * never mixed); the SDK retries failed calls. An object that cannot be read
 * is reported against its key.
 */
import { GetObjectCommand, ListObjectsV2Command, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { endpointOverride, PageGuard, readFailure, remoteClientSettings, remoteFailure, remoteMaxAttempts, RemoteOptions } from './aws';
import { S3Location } from './s3-url';
import { AUDIT_EXIT_CODES, AuditFailure } from '../../audit/errors';
import { InputSource, isInputPath, UsageError } from '../event-source';
import { dayFolder, isNarrowed, mayHoldSelected, Narrowing, selectsKey } from '../narrowing';

/** What the replay needs on the bucket. */
const PERMISSIONS = 's3:ListBucket on the bucket (for the prefix) and s3:GetObject on its objects (and kms:Decrypt on the key when the trail encrypts its files with SSE-KMS)';

/** How many object reads failed, by exit code (the command picks the exit code when nothing could be read). */
export type FailureCounts = Map<number, number>;

/** Lists and reads CloudTrail files in S3. */
export class S3Source {
  private client?: S3Client;
  public readonly failures: FailureCounts = new Map();
  /** Objects listed so far, and their bytes. */
  public listed = 0;
  public listedBytes = 0;
  /** Whether the listing has ended. */
  public listingDone = false;

  constructor(private readonly options: RemoteOptions) {}

  /** The objects under `location` the narrowing selects, in key order, as inputs. Throws AuditFailure when the listing fails. */
  public async *inputs(location: S3Location, narrowing: Narrowing): AsyncGenerator<InputSource> {
    const client = await this.s3();
    const url = `s3://${location.bucket}/${location.prefix}`;
    const keys = isNarrowed(narrowing)
      ? this.walk(client, location.bucket, location.prefix, narrowing)
      : this.list(client, location.bucket, location.prefix, undefined, key => isInputPath(key), () => false);
    let any = false;
    for await (const { key, size } of keys) {
      any = true;
      this.listed++;
      this.listedBytes += size;
      yield this.input(client, location.bucket, key, size);
    }
    this.listingDone = true;
    if (!any) {
      throw new UsageError(isNarrowed(narrowing)
        ? `no CloudTrail log file under ${url} is selected by --accounts, --regions, --since and --until (keys in CloudTrail's layout [prefix/]AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/).`
        : `${url} holds no CloudTrail file (*.json, *.json.gz, *.ndjson, *.jsonl, *.gz; CloudTrail-Digest files are ignored).`);
    }
  }

  private async s3(): Promise<S3Client> {
    if (this.client) return this.client;
    const endpoint = endpointOverride('S3');
    const settings = {
      ...remoteClientSettings(this.options),
      // the bucket may live in another Region than the one configured: follow S3's redirect
      followRegionRedirects: true,
      // an endpoint override (a local emulator, MinIO) answers on its own host name, not the bucket's
      ...(endpoint ? { forcePathStyle: true } : {}),
    };
    let client = new S3Client(settings);
    try {
      await client.config.region();
    } catch {
      // no Region configured at all: any Region finds the bucket through the redirect
      client = new S3Client({ ...settings, region: 'us-east-1' });
    }
    this.client = client;
    return client;
  }

  /**
   * One listing (recursive, or one level with `delimiter`): keys that `keep`
   * accepts, in order, until `stop` says a key is past the end.
   */
  private async *list(
    client: S3Client, bucket: string, prefix: string, startAfter: string | undefined,
    keep: (key: string) => boolean, stop: (key: string) => boolean,
  ): AsyncGenerator<{ key: string; size: number }> {
    const what = `s3://${bucket}/${prefix}`;
    const guard = new PageGuard('s3:ListObjectsV2', what, endpointOverride('S3'));
    let token: string | undefined;
    let last = '';
    for (;;) {
      const page = await this.listPage(client, bucket, prefix, undefined, token, startAfter);
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        if (key <= last) throw this.notAdvancing(what);
        last = key;
        if (stop(key)) return;
        if (keep(key)) yield { key, size: Number(o.Size ?? 0) };
      }
      if (!page.IsTruncated) return;
      if (!page.NextContinuationToken) throw this.notAdvancing(what);
      guard.next(page.NextContinuationToken);
      token = page.NextContinuationToken;
    }
  }

  private notAdvancing(what: string): AuditFailure {
    const endpoint = endpointOverride('S3');
    return new AuditFailure(`s3:ListObjectsV2 on ${what}${endpoint ? ` (endpoint ${endpoint})` : ''} does not advance (keys out of order, or a truncated page without a continuation token), so listing would never end. The endpoint is not usable.`, AUDIT_EXIT_CODES.UNREACHABLE);
  }

  private async listPage(
    client: S3Client, bucket: string, prefix: string, delimiter: string | undefined, token: string | undefined, startAfter?: string,
  ): Promise<ListObjectsV2CommandOutput> {
    try {
      return await client.send(new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
      }));
    } catch (e: any) {
      if (e?.name === 'NoSuchBucket') {
        throw new AuditFailure(`the bucket "${bucket}" does not exist (NoSuchBucket). Check the name in s3://${bucket}/${prefix} (the trail's S3 bucket: aws cloudtrail describe-trails).`, AUDIT_EXIT_CODES.BAD_INPUT);
      }
      throw remoteFailure(e, 's3:ListObjectsV2', `s3://${bucket}/${prefix}`, PERMISSIONS, { region: this.options.region, profile: this.options.profile, endpoint: endpointOverride('S3') });
    }
  }

  /** The narrowed walk: folder by folder to each Region folder, then that folder's days. */
  private async *walk(client: S3Client, bucket: string, prefix: string, n: Narrowing): AsyncGenerator<{ key: string; size: number }> {
    if (isRegionFolder(prefix)) {
      yield* this.listDays(client, bucket, prefix, n);
      return;
    }
    const what = `s3://${bucket}/${prefix}`;
    const guard = new PageGuard('s3:ListObjectsV2', what, endpointOverride('S3'));
    // one level, folders and files, by name (a folder's name without its slash, as a directory walk orders them)
    const entries: Array<{ name: string; folder: boolean; size: number }> = [];
    let token: string | undefined;
    for (;;) {
      const page = await this.listPage(client, bucket, prefix, '/', token);
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) entries.push({ name: p.Prefix, folder: true, size: 0 });
      for (const o of page.Contents ?? []) if (o.Key) entries.push({ name: o.Key, folder: false, size: Number(o.Size ?? 0) });
      if (!page.IsTruncated) break;
      if (!page.NextContinuationToken) throw this.notAdvancing(what);
      guard.next(page.NextContinuationToken);
      token = page.NextContinuationToken;
    }
    const sortName = (e: { name: string; folder: boolean }): string => (e.folder ? e.name.slice(0, -1) : e.name);
    entries.sort((a, b) => (sortName(a) < sortName(b) ? -1 : sortName(a) > sortName(b) ? 1 : 0));
    for (const e of entries) {
      if (!e.folder) {
        if (isInputPath(e.name) && selectsKey(e.name, n)) yield { key: e.name, size: e.size };
      } else if (mayHoldSelected(e.name, n)) {
        yield* this.walk(client, bucket, e.name, n);
      }
    }
  }

  /** A Region folder: from the first day of --since to the last day of --until. */
  private listDays(client: S3Client, bucket: string, folder: string, n: Narrowing): AsyncGenerator<{ key: string; size: number }> {
    // keys of the day folders from --since's day on sort after "<folder>YYYY/MM/DD"
    const startAfter = n.since !== undefined ? folder + dayFolder(n.since) : undefined;
    const lastDay = n.until !== undefined ? dayFolder(n.until - 1) : undefined;
    // keys come in order, so once a key's day folder is past --until's, so are all that follow
    const stop = (key: string): boolean => lastDay !== undefined && key.slice(folder.length, folder.length + 10) > lastDay;
    return this.list(client, bucket, folder, startAfter, key => isInputPath(key) && selectsKey(key, n), stop);
  }

  private input(client: S3Client, bucket: string, key: string, size: number): InputSource {
    const address = `s3://${bucket}/${key}`;
    const failures = this.failures;
    return {
      path: address,
      display: address,
      size,
      remote: {
        open: async () => {
          let received = 0;
          let etag: string | undefined;
          async function* chunks(): AsyncGenerator<Buffer> {
            for (let attempt = 1; ; attempt++) {
              let inBody = false;
              try {
                const out = await client.send(new GetObjectCommand({
                  Bucket: bucket,
                  Key: key,
                  // resumed: the rest of the same object, or PreconditionFailed when it changed
                  ...(received > 0 ? { Range: `bytes=${received}-`, ...(etag ? { IfMatch: etag } : {}) } : {}),
                }));
                etag ??= out.ETag;
                inBody = true;
                for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
                  received += chunk.length;
                  yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
                }
                return;
              } catch (e) {
                // The SDK has retried the call itself; a body that broke off (a reset, a silent socket) is read on from here.
                if (!inBody || attempt >= remoteMaxAttempts()) throw e;
                await new Promise(r => setTimeout(r, Math.min(20_000, 100 * 2 ** attempt) * Math.random()));
              }
            }
          }
          return { chunks: chunks(), bytesRead: () => received };
        },
        describeError: (e: unknown) => {
          const f = readFailure(e, address, PERMISSIONS);
          failures.set(f.exitCode, (failures.get(f.exitCode) ?? 0) + 1);
          return f.message;
        },
      },
    };
  }
}

/** Whether a prefix is exactly a Region folder of CloudTrail's layout (`.../AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/`). */
function isRegionFolder(prefix: string): boolean {
  return /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?\d{12}\/CloudTrail\/[a-z]{2}(?:-[a-z]+)+-\d+\/$/.test(prefix) && prefix.split('/').filter(s => s === 'AWSLogs').length === 1;
}
