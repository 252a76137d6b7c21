import { countFirings, PeriodBuckets } from './alarm-simulator';
import { AlarmSpec, FilterSpec, ReplayControl } from './controls';
import { parseEventTime } from './event-time';
import { RecordPrefilter } from './prefilter';
import { RecordSink } from './record-splitter';
import { SpaceSaving } from './top-k';

/** One reported problem in the input. */
export interface ReplayError {
  /** The input (file path, or `<stdin>`). */
  readonly file: string;
  /** Line where the affected record (or container) starts, 1-based; 0 when the problem is the whole file. */
  readonly line: number;
  /** The record's ordinal in the file (1-based), when the problem is one record. */
  readonly record?: number;
  /** Byte offset of the record's first byte in the (decompressed) file, when the problem is one record. */
  readonly offset?: number;
  readonly message: string;
}

/** A principal and how many matching records it made. */
export interface PrincipalCount {
  readonly principal: string;
  /**
   * Matches counted for it. Exact unless `error` is present: principals are
   * counted in bounded memory (Space-Saving, `principalCounters` counters), so
   * with more distinct principals than counters the true count lies in
   * `[count - error, count]`.
   */
  readonly count: number;
  /** Present (> 0) only when the count may be over by up to this much. */
  readonly error?: number;
}

/** Result of one alarm on a control's metric. */
export interface AlarmResult extends AlarmSpec {
  /** OK -> ALARM transitions over the replayed event time. */
  readonly firings: number;
}

/** Result for one control (one metric). */
export interface ControlResult {
  readonly key: string;
  /** CIS recommendation number, null when unknown. */
  readonly cisId: string | null;
  /** Account and Region of the metric (`aws://<account>/<region>`), null for --benchmark. */
  readonly environment: string | null;
  /** Benchmark version the stack was built for (from its labels), or the --benchmark version; null when unknown. */
  readonly benchmark: string | null;
  readonly namespace: string;
  readonly metricName: string;
  /** Number of metric filters publishing to the metric. */
  readonly filters: number;
  /**
   * Records that add to the metric: matched by at least one filter that
   * counts (every filter but those publishing the literal value 0).
   */
  readonly matches: number;
  /** Records matched only by filters publishing 0 (scanner texts): published, not counted. */
  readonly zeroValueMatches: number;
  /** Data points published (a record matched by two filters publishes two, zeros included). */
  readonly datapoints: number;
  /**
   * The sum of the published values: what a Sum alarm adds up. Equals
   * `matches` when every record adds exactly 1, as with `CisMonitoring`.
   */
  readonly sum: number;
  /**
   * Matching records without a valid `eventTime` (strict ISO 8601, see
   * `parseEventTime`): counted in `matches`, not placed in any alarm period.
   */
  readonly untimedMatches: number;
  /** Sum of the firings of the alarms on the metric; null when no alarm watches it. */
  readonly alarmFirings: number | null;
  readonly alarms: AlarmResult[];
  /** The 5 principals with most matches (ties by name). */
  readonly topPrincipals: PrincipalCount[];
  /** `eventID`s of the matching records, in input order (only with `eventIds: true`; null for a record without one). */
  readonly eventIds?: Array<string | null>;
}

/** Everything the replay found. */
export interface ReplayResult {
  /** Records read that are JSON objects (parsed), or that no filter can match (counted by the prefilter without parsing). */
  readonly events: number;
  readonly controls: ControlResult[];
  /** Malformed records, lines and files, and read errors. */
  readonly malformed: number;
  /** The first `maxErrors` problems. */
  readonly errors: ReplayError[];
  /** Problems beyond `maxErrors` (counted in `malformed`, not listed). */
  readonly errorsOmitted: number;
}

/** Options of the `ReplayEngine`. */
export interface ReplayEngineOptions {
  /** Collect the `eventID` of every matching record. @default false */
  readonly eventIds?: boolean;
  /** How many problems to keep for the report. @default 1000 */
  readonly maxErrors?: number;
  /** Number of top principals per control. @default 5 */
  readonly topPrincipals?: number;
  /**
   * Counters per control for the top principals (Space-Saving): memory is
   * bounded by this, whatever the number of distinct principals. @default 1000
   */
  readonly principalCounters?: number;
  /**
   * Count records that provably match no filter without parsing them (see
   * `RecordPrefilter`): the same matches either way; false also reports
   * damage inside records no filter could match. @default true
   */
  readonly prefilter?: boolean;
}

class ControlState {
  public matches = 0;
  public zeroValueMatches = 0;
  public datapoints = 0;
  public sum = 0;
  public untimed = 0;
  public readonly principals: SpaceSaving;
  public readonly eventIds: Array<string | null> | undefined;
  /** One bucket set per distinct alarm period. */
  public readonly buckets: PeriodBuckets[];
  public readonly filters: FilterSpec[];

  constructor(public readonly control: ReplayControl, eventIds: boolean, counters: number) {
    this.principals = new SpaceSaving(counters);
    this.filters = control.filters;
    this.eventIds = eventIds ? [] : undefined;
    const periods = [...new Set(control.alarms.map(a => a.period))];
    this.buckets = periods.map(p => new PeriodBuckets(p));
  }
}

/**
 * Evaluates records against the controls. Each record is `JSON.parse`d once
 * and handed to every filter's compiled predicate as an object (term and
 * space-delimited patterns get the record's text: its original line when it is
 * a single line, as CloudWatch Logs receives it, else `JSON.stringify`).
 * Records reaching it as bytes first go through the `RecordPrefilter`: those
 * that provably match nothing are only counted, never parsed.
 */
export class ReplayEngine {
  private eventCount = 0;
  private malformedCount = 0;
  private readonly errorList: ReplayError[] = [];
  private readonly states: ControlState[];
  private readonly maxErrors: number;
  private readonly topN: number;
  private readonly anyRawText: boolean;
  private readonly prefilter: RecordPrefilter | undefined;

  constructor(controls: readonly ReplayControl[], options: ReplayEngineOptions = {}) {
    this.states = controls.map(c => new ControlState(c, options.eventIds ?? false, options.principalCounters ?? 1000));
    this.maxErrors = options.maxErrors ?? 1000;
    this.topN = options.topPrincipals ?? 5;
    this.anyRawText = controls.some(c => c.filters.some(f => f.needsRawText));
    this.prefilter = options.prefilter === false ? undefined : RecordPrefilter.forControls(controls);
  }

  /** Records parsed so far. */
  public get events(): number {
    return this.eventCount;
  }

  /** Problems so far. */
  public get malformed(): number {
    return this.malformedCount;
  }

  /** A sink for one input, for `readSource`. */
  public sinkFor(file: string): RecordSink {
    const pf = this.prefilter;
    return {
      record: (text, line, index, offset) => this.addRecordText(text, file, line, index, offset),
      recordBytes: pf ? (buf, start, end, line, index, offset, plainLine) => {
        if (pf.canSkip(buf, start, end, plainLine)) {
          // a record no filter can match: all it changes is the count of records read
          this.eventCount++;
        } else {
          this.addRecordText(buf.toString('utf8', start, end), file, line, index, offset);
        }
      } : undefined,
      newChunk: pf ? () => pf.newChunk() : undefined,
      error: (line, message, index, offset) => this.addError(file, line, message, index, offset),
    };
  }

  /** Records a problem (counted as malformed). */
  public addError(file: string, line: number, message: string, record?: number, offset?: number): void {
    this.malformedCount++;
    if (this.errorList.length < this.maxErrors) {
      this.errorList.push(record === undefined ? { file, line, message } : { file, line, record, offset, message });
    }
  }

  /** Parses one record's text and evaluates it; reports it when it is not a JSON object. */
  public addRecordText(text: string, file: string, line: number, index?: number, offset?: number): void {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e: any) {
      // V8's "at position N" counts from the record's first character, not the file's.
      this.addError(file, line, `malformed record: ${String(e?.message ?? e).replace(/ in JSON at position (\d+)/, ' at character $1 of the record')}`, index, offset);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      this.addError(file, line, `malformed record: expected a JSON object (a CloudTrail record), got ${Array.isArray(record) ? 'an array' : JSON.stringify(record)?.slice(0, 40)}`, index, offset);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(record, 'Records')) {
      // A CloudTrail wrapper whose "Records" is not an array (`{"Records": null}`): not an event.
      const v = (record as any).Records;
      this.addError(file, line, `malformed file: "Records" must be an array of records, got ${v === null ? 'null' : typeof v === 'object' ? 'an object' : JSON.stringify(v).slice(0, 40)}`, index, offset);
      return;
    }
    try {
      this.addRecord(record, text);
    } catch (e: any) {
      // One record must not stop the file: e.g. JSON nested thousands deep overflows the stack when its text is rebuilt.
      const why = e instanceof RangeError && /call stack/i.test(String(e.message))
        ? 'it is nested too deeply to evaluate (Maximum call stack size exceeded)'
        : `it cannot be evaluated (${String(e?.message ?? e).split('\n')[0]})`;
      this.addError(file, line, `record skipped: ${why}`, index, offset);
    }
  }

  /** Evaluates one parsed record. `text` is its source, used by term and space-delimited patterns. */
  public addRecord(record: any, text?: string): void {
    let raw: string | undefined;
    // before anything is counted: rebuilding the text is what throws on absurdly deep records
    if (this.anyRawText) raw = text !== undefined && text.indexOf('\n') < 0 ? text : JSON.stringify(record);
    this.eventCount++;
    let time: number | undefined; // eventTime in ms, parsed on the first match
    const states = this.states;
    for (let ci = 0; ci < states.length; ci++) {
      const s = states[ci];
      const filters = s.filters;
      let hit = false;
      let zeroOnly = false;
      for (let fi = 0; fi < filters.length; fi++) {
        const f = filters[fi];
        if (!f.pattern.matchesRecord(record, raw)) continue;
        if (time === undefined) time = parseEventTime(record.eventTime);
        if (!f.counts) {
          zeroOnly = !hit;
        } else if (!hit) {
          hit = true;
          zeroOnly = false;
          this.matched(s, record, time);
        }
        const v = f.valueOf(record);
        if (v === undefined) continue;
        s.datapoints++;
        s.sum += v;
        if (!Number.isNaN(time)) {
          for (const b of s.buckets) b.add(time, v);
        }
      }
      if (zeroOnly) s.zeroValueMatches++;
    }
  }

  private matched(s: ControlState, record: any, time: number): void {
    s.matches++;
    if (Number.isNaN(time)) s.untimed++;
    const u = record.userIdentity;
    let principal = '(unknown)';
    if (u !== null && typeof u === 'object') {
      const p = u.arn ?? u.principalId ?? u.type;
      if (typeof p === 'string' && p !== '') principal = p;
    }
    s.principals.add(principal);
    if (s.eventIds) s.eventIds.push(typeof record.eventID === 'string' ? record.eventID : null);
  }

  /** The results so far (alarm firings are computed now). */
  public result(): ReplayResult {
    const controls = this.states.map((s): ControlResult => {
      const c = s.control;
      const alarms = c.alarms.map(a => ({ ...a, firings: countFirings(s.buckets.find(b => b.period === a.period)!, a) }));
      const top = s.principals.top(this.topN)
        .map(({ key, count, error }) => (error > 0 ? { principal: key, count, error } : { principal: key, count }));
      return {
        key: c.key,
        cisId: c.cisId ?? null,
        environment: c.environment ?? null,
        benchmark: c.benchmark ?? null,
        namespace: c.namespace,
        metricName: c.metricName,
        filters: c.filters.length,
        matches: s.matches,
        zeroValueMatches: s.zeroValueMatches,
        datapoints: s.datapoints,
        sum: s.sum,
        untimedMatches: s.untimed,
        alarmFirings: alarms.length === 0 ? null : alarms.reduce((n, a) => n + a.firings, 0),
        alarms,
        topPrincipals: top,
        ...(s.eventIds ? { eventIds: [...s.eventIds] } : {}),
      };
    });
    return {
      events: this.eventCount,
      controls,
      malformed: this.malformedCount,
      errors: [...this.errorList],
      errorsOmitted: this.malformedCount - this.errorList.length,
    };
  }
}
