/**
 * The regex subset CloudWatch Logs accepts between `%...%`, and its translation
 * to a JavaScript `RegExp`.
 *
 * Documented rules ("Supported regular expressions (regex) syntax"):
 * - alphanumeric characters A-Z, a-z, 0-9;
 * - the symbols `:` `_` `#` `=` `@` `/` `;` `,` `-`;
 * - the operators `^` `$` `?` `[` `]` `{` `}` `|` `\` `*` `+` `.`;
 * - `(` and `)` are not supported (no sub-patterns), nor are multi-byte characters;
 * - at most 2 regexes in one filter pattern (enforced by the parser).
 *
 * Matching is a search (unanchored) unless the regex itself uses `^` / `$`:
 * `%AUTHORIZED%` matches `[ERROR 401] UNAUTHORIZED REQUEST`.
 *
 * Translation: without parentheses the subset has no groups, lookarounds or
 * backreferences, so the source is used as is, without flags (no `g`, hence
 * no `lastIndex` state; no `u`, so `\d`, `[a-z]`, `{1,3}` keep their classic
 * meaning). A backslash followed by a digit (a backreference/octal escape in
 * JavaScript) is rejected.
 */

const ALLOWED = /^[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+.]$/;

/** Result of checking a regex source: `undefined` when fine, else the offending offset and reason. */
export interface RegexProblem {
  /** Offset within the regex source. */
  readonly offset: number;
  readonly reason: string;
}

/** Checks `source` (text between the `%` delimiters) against the CloudWatch subset and JavaScript syntax. */
export function checkRegexSource(source: string): RegexProblem | undefined {
  if (source.length === 0) {
    return { offset: 0, reason: 'empty regex: write at least one character between the % delimiters' };
  }
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === ')') {
      return { offset: i, reason: `'${c}' is not allowed in a regex: CloudWatch Logs regexes cannot use parentheses` };
    }
    if (!ALLOWED.test(c)) {
      const shown = c === ' ' ? 'space' : JSON.stringify(c);
      return { offset: i, reason: `character ${shown} is not allowed in a regex (allowed: letters, digits, :_#=@/;,- and ^$?[]{}|\\*+.)` };
    }
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) {
        return { offset: i, reason: 'regex ends with an incomplete escape \'\\\'' };
      }
      if (next >= '0' && next <= '9') {
        return { offset: i, reason: 'backreferences (\\digit) are not supported in a regex' };
      }
    }
  }
  try {
    new RegExp(source);
  } catch (e) {
    return { offset: 0, reason: `invalid regex: ${(e as Error).message}` };
  }
  return undefined;
}

/** Compiles a checked regex source. */
export function compileRegex(source: string): RegExp {
  return new RegExp(source);
}
