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

/** How many problems a report lists (the rest are counted). */
export const DEFAULT_MAX_ERRORS = 1000;

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

/**
 * What evaluating records yields, in input order: the events read, and for
 * each control the matches, data points and zero-valued matches of each
 * record. The `ReplayTally` adds them up; a worker thread records them
 * (src/replay/parallel/) and the main thread hands them to its tally in input
 * order, so that every sum, bucket, Space-Saving counter and list is built by
 * the same calls in the same order as on one thread.
 */
export interface EvaluationSink {
  /** One more record read (parsed, or counted by the prefilter). */
  event(): void;
  /** A record that adds to control `control`'s metric (its first counting filter matched). `time`: NaN when untimed. */
  match(control: number, principal: string, eventId: string | null, time: number): void;
  /** A data point a matching filter of control `control` published. */
  datapoint(control: number, time: number, value: number): void;
  /** A record matched only by filters of `control` that publish 0. */
  zeroOnly(control: number): void;
  /** A problem (counted as malformed). */
  error(file: string, line: number, message: string, record?: number, offset?: number): void;
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

  constructor(public readonly control: ReplayControl, eventIds: boolean, counters: number) {
    this.principals = new SpaceSaving(counters);
    this.eventIds = eventIds ? [] : undefined;
    const periods = [...new Set(control.alarms.map(a => a.period))];
    this.buckets = periods.map(p => new PeriodBuckets(p));
  }
}

/** Adds up what the evaluation yields: counts, sums, alarm buckets, top principals, event ids and problems. */
export class ReplayTally implements EvaluationSink {
  private eventCount = 0;
  private malformedCount = 0;
  private readonly errorList: ReplayError[] = [];
  private readonly states: ControlState[];
  private readonly maxErrors: number;
  private readonly topN: number;

  constructor(controls: readonly ReplayControl[], options: ReplayEngineOptions = {}) {
    this.states = controls.map(c => new ControlState(c, options.eventIds ?? false, options.principalCounters ?? 1000));
    this.maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
    this.topN = options.topPrincipals ?? 5;
  }

  /** Records read so far. */
  public get events(): number {
    return this.eventCount;
  }

  /** Problems so far. */
  public get malformed(): number {
    return this.malformedCount;
  }

  public event(): void {
    this.eventCount++;
  }

  /** `n` more records read (a worker's count of records that made no match). */
  public addEvents(n: number): void {
    this.eventCount += n;
  }

  public match(control: number, principal: string, eventId: string | null, time: number): void {
    const s = this.states[control];
    s.matches++;
    if (Number.isNaN(time)) s.untimed++;
    s.principals.add(principal);
    if (s.eventIds) s.eventIds.push(eventId);
  }

  public datapoint(control: number, time: number, value: number): void {
    const s = this.states[control];
    s.datapoints++;
    s.sum += value;
    if (!Number.isNaN(time)) {
      for (const b of s.buckets) b.add(time, value);
    }
  }

  public zeroOnly(control: number): void {
    this.states[control].zeroValueMatches++;
  }

  public error(file: string, line: number, message: string, record?: number, offset?: number): void {
    this.malformedCount++;
    if (this.errorList.length < this.maxErrors) {
      this.errorList.push(record === undefined ? { file, line, message } : { file, line, record, offset, message });
    }
  }

  /** Problems counted but not listed (beyond `maxErrors` in a worker's share). */
  public addOmittedErrors(n: number): void {
    this.malformedCount += n;
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

/**
 * Evaluates records against the controls' filters and tells an
 * `EvaluationSink` what they yield. Each record is `JSON.parse`d once and
 * handed to every filter's compiled predicate as an object (term and
 * space-delimited patterns get the record's text: its original line when it
 * is a single line, as CloudWatch Logs receives it, else `JSON.stringify`).
 * Records reaching it as bytes first go through the `RecordPrefilter`: those
 * that provably match nothing are only counted, never parsed.
 */
export class RecordEvaluator {
  /** Where the results go (a `ReplayTally`, or a worker's recorder). */
  public sink: EvaluationSink;
  private readonly filters: FilterSpec[][];
  private readonly anyRawText: boolean;
  private readonly prefilter: RecordPrefilter | undefined;

  constructor(controls: readonly ReplayControl[], sink: EvaluationSink, options: { readonly prefilter?: boolean } = {}) {
    this.sink = sink;
    this.filters = controls.map(c => c.filters);
    this.anyRawText = controls.some(c => c.filters.some(f => f.needsRawText));
    this.prefilter = options.prefilter === false ? undefined : RecordPrefilter.forControls(controls);
  }

  /** A sink for one input's splitter; problems are reported against `file`. */
  public sinkFor(file: string): RecordSink {
    const pf = this.prefilter;
    return {
      record: (text, line, index, offset) => this.addRecordText(text, file, line, index, offset),
      recordBytes: pf ? (buf, start, end, line, index, offset, plainLine) => {
        if (pf.canSkip(buf, start, end, plainLine)) {
          // a record no filter can match: all it changes is the count of records read
          this.sink.event();
        } else {
          this.addRecordText(buf.toString('utf8', start, end), file, line, index, offset);
        }
      } : undefined,
      newChunk: pf ? () => pf.newChunk() : undefined,
      error: (line, message, index, offset) => this.sink.error(file, line, message, index, offset),
    };
  }

  /** Parses one record's text and evaluates it; reports it when it is not a JSON object. */
  public addRecordText(text: string, file: string, line: number, index?: number, offset?: number): void {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e: any) {
      // V8's "at position N" counts from the record's first character, not the file's.
      this.sink.error(file, line, `malformed record: ${String(e?.message ?? e).replace(/ in JSON at position (\d+)/, ' at character $1 of the record')}`, index, offset);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      this.sink.error(file, line, `malformed record: expected a JSON object (a CloudTrail record), got ${Array.isArray(record) ? 'an array' : JSON.stringify(record)?.slice(0, 40)}`, index, offset);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(record, 'Records')) {
      // A CloudTrail wrapper whose "Records" is not an array (`{"Records": null}`): not an event. The splitter hands over
      // the elements of every top-level wrapper, whatever the spelling of its key: an array here is a wrapper nested in one.
      const v = (record as any).Records;
      this.sink.error(file, line, Array.isArray(v)
        ? 'malformed record: a {"Records":[...]} wrapper inside an array or another wrapper; its records are not read (CloudTrail never nests them)'
        : `malformed file: "Records" must be an array of records, got ${v === null ? 'null' : typeof v === 'object' ? 'an object' : JSON.stringify(v).slice(0, 40)}`, index, offset);
      return;
    }
    try {
      this.addRecord(record, text);
    } catch (e: any) {
      // One record must not stop the file: e.g. JSON nested thousands deep overflows the stack when its text is rebuilt.
      const why = e instanceof RangeError && /call stack/i.test(String(e.message))
        ? 'it is nested too deeply to evaluate (Maximum call stack size exceeded)'
        : `it cannot be evaluated (${String(e?.message ?? e).split('\n')[0]})`;
      this.sink.error(file, line, `record skipped: ${why}`, index, offset);
    }
  }

  /** Evaluates one parsed record. `text` is its source, used by term and space-delimited patterns. */
  public addRecord(record: any, text?: string): void {
    let raw: string | undefined;
    // before anything is counted: rebuilding the text is what throws on absurdly deep records
    if (this.anyRawText) raw = text !== undefined && text.indexOf('\n') < 0 ? text : JSON.stringify(record);
    const sink = this.sink;
    sink.event();
    let time: number | undefined; // eventTime in ms, parsed on the first match
    const controls = this.filters;
    for (let ci = 0; ci < controls.length; ci++) {
      const filters = controls[ci];
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
          sink.match(ci, principalOf(record), typeof record.eventID === 'string' ? record.eventID : null, time);
        }
        const v = f.valueOf(record);
        if (v === undefined) continue;
        sink.datapoint(ci, time, v);
      }
      if (zeroOnly) sink.zeroOnly(ci);
    }
  }
}

/** The principal a match is counted for: `userIdentity.arn`, else `principalId`, else `type`. */
function principalOf(record: any): string {
  const u = record.userIdentity;
  if (u !== null && typeof u === 'object') {
    const p = u.arn ?? u.principalId ?? u.type;
    if (typeof p === 'string' && p !== '') return p;
  }
  return '(unknown)';
}

/**
 * Evaluates records against the controls on this thread and adds up the
 * results: a `RecordEvaluator` feeding a `ReplayTally`.
 */
export class ReplayEngine {
  private readonly tally: ReplayTally;
  private readonly evaluator: RecordEvaluator;

  constructor(controls: readonly ReplayControl[], options: ReplayEngineOptions = {}) {
    this.tally = new ReplayTally(controls, options);
    this.evaluator = new RecordEvaluator(controls, this.tally, options);
  }

  /** Records read so far. */
  public get events(): number {
    return this.tally.events;
  }

  /** Problems so far. */
  public get malformed(): number {
    return this.tally.malformed;
  }

  /** A sink for one input, for `readSource`. */
  public sinkFor(file: string): RecordSink {
    return this.evaluator.sinkFor(file);
  }

  /** Records a problem (counted as malformed). */
  public addError(file: string, line: number, message: string, record?: number, offset?: number): void {
    this.tally.error(file, line, message, record, offset);
  }

  /** Parses one record's text and evaluates it; reports it when it is not a JSON object. */
  public addRecordText(text: string, file: string, line: number, index?: number, offset?: number): void {
    this.evaluator.addRecordText(text, file, line, index, offset);
  }

  /** Evaluates one parsed record. `text` is its source, used by term and space-delimited patterns. */
  public addRecord(record: any, text?: string): void {
    this.evaluator.addRecord(record, text);
  }

  /** The results so far (alarm firings are computed now). */
  public result(): ReplayResult {
    return this.tally.result();
  }
}
