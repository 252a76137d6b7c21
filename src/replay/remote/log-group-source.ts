/**
 * `replay --log-group NAME`: the CloudTrail records a trail sends to
 * CloudWatch Logs, read through the CloudWatch Logs API.
 *
 * Each log stream is one input (CloudTrail names them
 * `ACCOUNT_CloudTrail_REGION`, with the organization id first for an
 * organization trail), read in stream-name order; its events are read with
 * GetLogEvents from the oldest, as NDJSON (one record per log event). The
 * streams are listed with DescribeLogStreams; `--accounts` and `--regions`
 * select streams by name, `--since` and `--until` events by their CloudWatch
 * Logs timestamp (CloudTrail sets it to the event's time), [since, until).
 *
 * Within the API's quotas (per account and Region, shared with every other
 * reader): DescribeLogStreams is called at most 2 times a second (quota 5),
 * GetLogEvents at most 10 times a second over all streams (quota 25); the
 * SDK retries throttled calls with backoff.
 */
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand, LogStream } from '@aws-sdk/client-cloudwatch-logs';
import { endpointOverride, PageGuard, RateLimiter, readFailure, remoteClientSettings, remoteFailure, RemoteOptions } from './aws';
import { FailureCounts } from './s3-source';
import { AUDIT_EXIT_CODES, AuditFailure } from '../../audit/errors';
import { addXmlErrorReader } from '../../audit/live-reader';
import { InputSource, UsageError } from '../event-source';
import { Narrowing, selectsLogStream } from '../narrowing';

/** Calls a second (below the quotas of 5 and 25, which other readers share). */
export const DESCRIBE_LOG_STREAMS_PER_SECOND = 2;
export const GET_LOG_EVENTS_PER_SECOND = 10;

const PERMISSIONS = 'logs:DescribeLogStreams and logs:GetLogEvents on the log group';

/** Lists and reads the log streams of a log group. */
export class LogGroupSource {
  private client?: CloudWatchLogsClient;
  private readonly describeRate = new RateLimiter(DESCRIBE_LOG_STREAMS_PER_SECOND);
  private readonly getRate = new RateLimiter(GET_LOG_EVENTS_PER_SECOND);
  public readonly failures: FailureCounts = new Map();
  public listed = 0;
  public listingDone = false;

  constructor(private readonly options: RemoteOptions) {}

  /** The log group's selected streams, in name order, as inputs. Throws AuditFailure when listing fails. */
  public async *inputs(group: string, narrowing: Narrowing): AsyncGenerator<InputSource> {
    if (!/^[\w#\-./]{1,512}$/.test(group)) {
      throw new UsageError(`--log-group "${group}" is not a log group name (1 to 512 letters, digits, and _ - / . #).`);
    }
    const client = this.logs();
    let any = false;
    for await (const stream of this.streams(client, group)) {
      const name = stream.logStreamName ?? '';
      if (!selectsLogStream(name, narrowing)) continue;
      // a stream whose first event is at or after --until holds nothing before it
      if (narrowing.until !== undefined && stream.firstEventTimestamp !== undefined && stream.firstEventTimestamp >= narrowing.until) continue;
      any = true;
      this.listed++;
      yield this.input(client, group, name, narrowing);
    }
    this.listingDone = true;
    if (!any) {
      throw new UsageError(narrowing.accounts || narrowing.regions
        ? `no log stream of "${group}" is selected by --accounts and --regions (CloudTrail names its streams ACCOUNT_CloudTrail_REGION).`
        : `the log group "${group}" has no log stream${narrowing.until !== undefined ? ' with events before --until' : ''}.`);
    }
  }

  private logs(): CloudWatchLogsClient {
    if (!this.client) {
      this.client = new CloudWatchLogsClient(remoteClientSettings(this.options));
      addXmlErrorReader(this.client);
    }
    return this.client;
  }

  private ctx(): { region?: string; profile?: string; endpoint?: string } {
    return { region: this.options.region, profile: this.options.profile, endpoint: endpointOverride('CLOUDWATCH_LOGS') };
  }

  private async *streams(client: CloudWatchLogsClient, group: string): AsyncGenerator<LogStream> {
    const guard = new PageGuard('logs:DescribeLogStreams', `log group "${group}"`, endpointOverride('CLOUDWATCH_LOGS'));
    let token: string | undefined;
    for (;;) {
      await this.describeRate.take();
      let page;
      try {
        page = await client.send(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: 'LogStreamName', ...(token ? { nextToken: token } : {}) }));
      } catch (e: any) {
        if (e?.name === 'ResourceNotFoundException') {
          const region = this.options.region ?? await client.config.region().catch(() => undefined);
          throw new AuditFailure(`the log group "${group}" does not exist${region ? ` in ${region}` : ''} (ResourceNotFoundException). Check the name (the trail's CloudWatchLogsLogGroupArn: aws cloudtrail describe-trails) and --region.`, AUDIT_EXIT_CODES.BAD_INPUT);
        }
        throw remoteFailure(e, 'logs:DescribeLogStreams', `log group "${group}"`, PERMISSIONS, this.ctx());
      }
      yield* page.logStreams ?? [];
      if (!page.nextToken) return;
      guard.next(page.nextToken);
      token = page.nextToken;
    }
  }

  private input(client: CloudWatchLogsClient, group: string, stream: string, n: Narrowing): InputSource {
    const address = `logs://${group}/${stream}`;
    const getRate = this.getRate;
    const failures = this.failures;
    return {
      path: address,
      display: address,
      size: 0,
      remote: {
        open: async () => {
          let bytes = 0;
          async function* chunks(): AsyncGenerator<Buffer> {
            const guard = new PageGuard('logs:GetLogEvents', address, endpointOverride('CLOUDWATCH_LOGS'));
            let token: string | undefined;
            for (;;) {
              await getRate.take();
              const page = await client.send(new GetLogEventsCommand({
                logGroupName: group,
                logStreamName: stream,
                startFromHead: true,
                ...(n.since !== undefined ? { startTime: n.since } : {}),
                ...(n.until !== undefined ? { endTime: n.until } : {}),
                ...(token ? { nextToken: token } : {}),
              }));
              // [since, until) again here: AWS leaves out events at endTime, emulators have not always
              const inRange = (t = 0): boolean => (n.since === undefined || t >= n.since) && (n.until === undefined || t < n.until);
              const events = (page.events ?? []).filter(e => inRange(e.timestamp));
              if (events.length > 0) {
                const chunk = Buffer.from(events.map(e => e.message ?? '').join('\n') + '\n', 'utf8');
                bytes += chunk.length;
                yield chunk;
              }
              // the end of the stream: the token handed back is the one given
              const next = page.nextForwardToken;
              if (!next || next === token) return;
              guard.next(next);
              token = next;
            }
          }
          return { chunks: chunks(), bytesRead: () => bytes };
        },
        describeError: (e: unknown) => {
          const f = e instanceof AuditFailure ? { message: `cannot read "${address}": ${e.message}`, exitCode: e.exitCode } : readFailure(e, address, PERMISSIONS);
          failures.set(f.exitCode, (failures.get(f.exitCode) ?? 0) + 1);
          return f.message;
        },
      },
    };
  }
}
