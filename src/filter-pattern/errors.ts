/**
 * Syntax error of a filter pattern (internal; the public API throws it as a plain `Error`).
 *
 * `message` is
 * ```text
 * Invalid filter pattern at position N: <reason>
 *   <pattern>
 *   <caret>
 * ```
 * where N is the zero-based character offset of the problem (the pattern length
 * when the pattern ended too early) and the caret sits under that character.
 * Tabs, carriage returns and newlines of the pattern are shown as spaces so the
 * caret lines up.
 */
export class FilterPatternSyntaxError extends Error {
  /** Zero-based offset of the problem in the pattern. */
  public readonly position: number;
  /** Human-readable reason, without position or pattern. */
  public readonly reason: string;
  /** The pattern that failed to parse. */
  public readonly pattern: string;

  constructor(pattern: string, position: number, reason: string) {
    super(formatSyntaxError(pattern, position, reason));
    this.name = 'FilterPatternSyntaxError';
    this.position = position;
    this.reason = reason;
    this.pattern = pattern;
    Object.setPrototypeOf(this, FilterPatternSyntaxError.prototype);
  }
}

/** Builds the error message described on `FilterPatternSyntaxError`. */
export function formatSyntaxError(pattern: string, position: number, reason: string): string {
  const shown = pattern.replace(/[\t\r\n]/g, ' ');
  return `Invalid filter pattern at position ${position}: ${reason}\n  ${shown}\n  ${' '.repeat(position)}^`;
}
