import { FilterPatternAst } from './ast';
import { FilterPatternSyntaxError } from './errors';
import { CompiledMatcher, compileFilterPatternAst } from './evaluator';
import { parseFilterPatternAst } from './parser';

/**
 * The form of a CloudWatch Logs filter pattern.
 */
export enum FilterPatternKind {
  /** Empty or whitespace-only pattern: matches every log event. */
  EMPTY = 'EMPTY',
  /** Term pattern: words, `"quoted phrases"`, `?term` alternatives, `-term` exclusions, `%regex%`. */
  TERMS = 'TERMS',
  /** JSON pattern: `{ $.selector = value && ... }`. */
  JSON = 'JSON',
  /** Space-delimited pattern: `[ip, user, ..., status_code = 4*, bytes]`. */
  SPACE_DELIMITED = 'SPACE_DELIMITED',
}

/**
 * Offline model of CloudWatch Logs filter patterns: parses, validates and
 * evaluates them without calling AWS.
 *
 * Semantics follow the CloudWatch Logs documentation and the behaviour users
 * reported from the console's test tool (notably: a comparison on a missing
 * field is false, `!=` included). The only authoritative evaluator remains the
 * `TestMetricFilter` API.
 *
 * @example
 * const p = FilterPatternEngine.parse('{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }');
 * p.matches('{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}'); // true
 */
export class FilterPatternEngine {
  /**
   * Parses and compiles a filter pattern.
   *
   * The pattern length quota (1024 characters) is not checked here.
   *
   * @param text the filter pattern, byte-exact as it would be sent to CloudWatch Logs
   * @returns the compiled pattern
   * @throws Error whose message is `Invalid filter pattern at position N: <reason>`,
   * followed by the pattern and a caret under the problem, on separate lines
   * indented by two spaces. N is the zero-based character offset (the pattern
   * length when the pattern ended too early).
   */
  public static parse(text: string): CompiledFilterPattern {
    return CompiledFilterPattern._compile(text);
  }

  /**
   * Checks a filter pattern's syntax.
   *
   * @param text the filter pattern
   * @returns undefined when the pattern is valid, else the message `parse()` would throw
   */
  public static validate(text: string): string | undefined {
    try {
      parseFilterPatternAst(text);
      return undefined;
    } catch (e) {
      if (e instanceof FilterPatternSyntaxError) return e.message;
      throw e;
    }
  }

  private constructor() {}
}

/**
 * A parsed and compiled filter pattern. Obtain one with `FilterPatternEngine.parse()`.
 *
 * Compilation happens once: evaluating does not re-parse the pattern, and
 * wildcards, regexes and selector paths are resolved in advance.
 */
export class CompiledFilterPattern {
  /**
   * Parses and compiles (use `FilterPatternEngine.parse()`).
   * @internal
   */
  public static _compile(text: string): CompiledFilterPattern {
    return new CompiledFilterPattern(text, parseFilterPatternAst(text));
  }

  /** The pattern text, as given. */
  public readonly text: string;

  /** The form of the pattern. */
  public readonly kind: FilterPatternKind;

  /**
   * Number of `%regex%` values in the pattern. CloudWatch Logs allows at most 2
   * per pattern (more is a syntax error) and at most 5 regex-bearing filters per log group.
   */
  public readonly regexCount: number;

  /**
   * The parsed form, so translators reuse this parse instead of repeating it.
   * @internal
   */
  public readonly _ast: FilterPatternAst;

  private readonly matcher: CompiledMatcher;

  private constructor(text: string, ast: FilterPatternAst) {
    this.text = text;
    this._ast = ast;
    this.matcher = compileFilterPatternAst(ast);
    switch (ast.kind) {
      case 'empty':
        this.kind = FilterPatternKind.EMPTY;
        this.regexCount = 0;
        break;
      case 'terms':
        this.kind = FilterPatternKind.TERMS;
        this.regexCount = ast.regexCount;
        break;
      case 'json':
        this.kind = FilterPatternKind.JSON;
        this.regexCount = ast.regexCount;
        break;
      case 'spaceDelimited':
        this.kind = FilterPatternKind.SPACE_DELIMITED;
        this.regexCount = ast.regexCount;
        break;
    }
  }

  /**
   * Tests one raw log event (a single line, as CloudWatch Logs stores it).
   *
   * JSON patterns parse the line once with `JSON.parse`; a line that is not a
   * JSON object never matches a JSON pattern (not even `NOT EXISTS`).
   *
   * @param logEvent the log event message
   * @returns true when the pattern matches the event
   */
  public matches(logEvent: string): boolean {
    return this.matcher.matchLine(logEvent);
  }

  /**
   * Tests an already-parsed JSON log event (fast path for replaying records
   * that were `JSON.parse`d once, e.g. CloudTrail records).
   *
   * JSON patterns evaluate `record` directly, without allocating; it must be a
   * non-array object to match. Term, space-delimited and empty patterns work on
   * text: they use `rawLine` when given, else `record` itself when it is a
   * string, else `JSON.stringify(record)` (which can differ from the original
   * line in whitespace and escapes, so pass `rawLine` when you have it).
   *
   * @param record the parsed log event
   * @param rawLine the original log line, used by non-JSON patterns
   * @returns true when the pattern matches the event
   */
  public matchesRecord(record: any, rawLine?: string): boolean {
    return this.matcher.matchRecord(record, rawLine);
  }
}
