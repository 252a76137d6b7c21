/**
 * AST of CloudWatch Logs filter patterns (internal, not part of the jsii API).
 *
 * Produced by `parseFilterPatternAst()` in `./parser`. Every node carries a
 * `span` (zero-based, end-exclusive character offsets into the pattern text),
 * so `text.slice(node.span.start, node.span.end)` gives back the source of that
 * node, e.g. to re-emit a sub-expression byte-exact.
 *
 * Shapes at a glance:
 *
 * ```text
 * FilterPatternAst
 *   EmptyPatternAst           ''  or whitespace only: matches every event
 *   TermsPatternAst           ERROR -DEBUG ?"a b" %regex%
 *     groups: TermGroup[]       OR of groups; a group is an AND of its terms
 *   JsonPatternAst            { $.a = "x" && ($.b NOT EXISTS || $.c > 4) }
 *     expression: JsonExpression
 *       AndNode / OrNode        n-ary, flattened (a && (b && c) => and[a,b,c])
 *       ComparisonNode          selector, operator, value
 *       ExistsNode              $.f = "*"  /  $.f = *   (exists: true)
 *                               $.f NOT EXISTS          (exists: false)
 *       IsNode                  $.f IS NULL | IS TRUE | IS FALSE
 *   SpaceDelimitedPatternAst  [ip, user, ..., status = 4* || status = 5*, bytes > 10]
 *     fields: DelimitedField[]  EllipsisField | NamedField (optional FieldExpression)
 * ```
 */

/** Zero-based, end-exclusive character range in the pattern text. */
export interface Span {
  /** Offset of the first character. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** Comparison operators of JSON and space-delimited conditions. */
export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

/**
 * One step of a JSON selector: a string is a property name (`.name`), a number
 * an array index (`[n]`). `$.a.b[0].c` => `['a', 'b', 0, 'c']`.
 */
export type PathSegment = string | number;

/** A JSON property selector such as `$.userIdentity.sessionContext.attributes[0]`. */
export interface Selector {
  /** Source text of the selector, e.g. `$.a[0].b`. */
  readonly text: string;
  /** Resolved path below the root (`$` itself is not a segment). Never empty. */
  readonly path: readonly PathSegment[];
  /** Where the selector is in the pattern. */
  readonly span: Span;
}

/** Exact string value, quoted or not. A `*` that is neither first nor last is a literal `*`. */
export interface StringValue {
  readonly kind: 'string';
  /** The string to compare with (quotes removed, `\"` and `\\` unescaped). */
  readonly value: string;
  /** True when written in double quotes. */
  readonly quoted: boolean;
  /** Source text including quotes. */
  readonly raw: string;
  /** Where the value is in the pattern. */
  readonly span: Span;
}

/**
 * String value with a leading and/or trailing `*` wildcard.
 * `*Event` => endsWith 'Event'; `Event*` => startsWith 'Event'; `*html*` => contains 'html'.
 * A lone `*` after `=` is not a wildcard value but an `ExistsNode`.
 */
export interface WildcardValue {
  readonly kind: 'wildcard';
  /** How `text` must occur in the field value. */
  readonly match: 'startsWith' | 'endsWith' | 'contains';
  /** The fixed part, without the leading/trailing `*` (inner `*` are literal). */
  readonly text: string;
  /** True when written in double quotes. */
  readonly quoted: boolean;
  /** Source text including quotes and `*`. */
  readonly raw: string;
  /** Where the value is in the pattern. */
  readonly span: Span;
}

/** Unquoted numeric literal: integer, decimal or scientific notation, optional sign. */
export interface NumberValue {
  readonly kind: 'number';
  /** The parsed number. */
  readonly value: number;
  /** Source text, e.g. `1e-3`, `+1000`. */
  readonly raw: string;
  /** Where the value is in the pattern. */
  readonly span: Span;
}

/**
 * A `%regex%` value. Unanchored search unless the regex uses `^` / `$`.
 * `source` has been checked against the CloudWatch subset (no `(`/`)`, only
 * the documented characters) and is a valid JavaScript `RegExp` source.
 */
export interface RegexValue {
  readonly kind: 'regex';
  /** Regex between the `%` delimiters. */
  readonly source: string;
  /** Source text including the `%` delimiters. */
  readonly raw: string;
  /** Where the value is in the pattern. */
  readonly span: Span;
}

/** Right-hand side of a comparison. */
export type ComparisonValue = StringValue | WildcardValue | NumberValue | RegexValue;

/** n-ary conjunction. Operands are never themselves `and` nodes (flattened). At least 2 operands. */
export interface AndNode<T> {
  readonly kind: 'and';
  readonly operands: readonly T[];
  readonly span: Span;
}

/** n-ary disjunction. Operands are never themselves `or` nodes (flattened). At least 2 operands. */
export interface OrNode<T> {
  readonly kind: 'or';
  readonly operands: readonly T[];
  readonly span: Span;
}

/**
 * `selector <operator> value`.
 *
 * Evaluation (see `./evaluator`): false when the selector resolves to nothing
 * (`!=` included), to an object or array, or to a boolean/null. Relational
 * operators (`< > <= >=`) only occur with a `NumberValue`.
 */
export interface ComparisonNode {
  readonly kind: 'comparison';
  readonly selector: Selector;
  readonly operator: ComparisonOperator;
  readonly value: ComparisonValue;
  readonly span: Span;
}

/**
 * Existence test. `exists: true` is written `$.f = "*"` or `$.f = *` (true when
 * the field is present and is not an object/array); `exists: false` is
 * `$.f NOT EXISTS` (true when the field is absent).
 */
export interface ExistsNode {
  readonly kind: 'exists';
  readonly selector: Selector;
  readonly exists: boolean;
  readonly span: Span;
}

/** `$.f IS NULL`, `$.f IS TRUE`, `$.f IS FALSE`: the field is JSON null / true / false. */
export interface IsNode {
  readonly kind: 'is';
  readonly selector: Selector;
  readonly test: 'null' | 'true' | 'false';
  readonly span: Span;
}

/** A boolean expression inside `{ ... }`. */
export type JsonExpression = AndNode<JsonExpression> | OrNode<JsonExpression> | ComparisonNode | ExistsNode | IsNode;

/** `{ expression }`. */
export interface JsonPatternAst {
  readonly kind: 'json';
  readonly expression: JsonExpression;
  /** Number of `%regex%` values. */
  readonly regexCount: number;
  readonly span: Span;
}

/**
 * One term of a term pattern.
 * - `word`: unquoted term, e.g. `ERROR`; matches when the event contains it (substring, case-sensitive).
 * - `phrase`: quoted term, e.g. `"INTERNAL SERVER ERROR"`; substring match of the exact phrase.
 * - `regex`: `%regex%` searched in the whole event.
 * - `matchAll`: a quoted phrase that is empty or only whitespace (`" "`), documented as "match everything".
 */
export interface Term {
  readonly kind: 'word' | 'phrase' | 'regex' | 'matchAll';
  /** Text to find (quotes removed), or the regex source for `regex`. */
  readonly value: string;
  /** True for `-term`: the event must NOT contain it. */
  readonly exclude: boolean;
  /** Source text including `?`, `-`, quotes. */
  readonly raw: string;
  readonly span: Span;
}

/**
 * Terms that must all hold (included terms present, excluded terms absent).
 * A `?` starts a new group; terms without `?` join the current group.
 */
export interface TermGroup {
  /** True when the group was started by a `?term`. */
  readonly optional: boolean;
  readonly terms: readonly Term[];
}

/**
 * A term pattern: matches when ANY group matches. Without `?` there is exactly
 * one group (all terms ANDed). `?A ?B` => two groups. `?"a" "b" ?"c"` (what
 * aws-cdk's `FilterPattern.anyTermGroup` emits) => groups [a,b] and [c].
 * Terms written before the first `?` form a group of their own.
 */
export interface TermsPatternAst {
  readonly kind: 'terms';
  readonly groups: readonly TermGroup[];
  /** Number of `%regex%` terms. */
  readonly regexCount: number;
  readonly span: Span;
}

/** `name <operator> value` inside a space-delimited field. */
export interface FieldComparisonNode {
  readonly kind: 'fieldComparison';
  /** Field name; always equal to the enclosing `NamedField.name`. */
  readonly field: string;
  readonly operator: ComparisonOperator;
  readonly value: ComparisonValue;
  readonly span: Span;
}

/** Condition of one space-delimited field, e.g. `status = 404 || status = 410`. */
export type FieldExpression = AndNode<FieldExpression> | OrNode<FieldExpression> | FieldComparisonNode;

/** `...`: any number (zero or more) of event fields. */
export interface EllipsisField {
  readonly kind: 'ellipsis';
  readonly span: Span;
}

/** A positional field: `name`, `name = value`, or empty (`[a,,b]` or a trailing comma). */
export interface NamedField {
  readonly kind: 'field';
  /** Field name; undefined for an empty slot. */
  readonly name?: string;
  /** Condition on the field's value; undefined when any value is accepted. */
  readonly condition?: FieldExpression;
  readonly span: Span;
}

/** One comma-separated element of a space-delimited pattern. */
export type DelimitedField = EllipsisField | NamedField;

/**
 * `[f1, f2, ...]`. Event fields are separated by spaces; text in `[...]` or
 * `"..."` is one field (brackets/quotes removed). Without an ellipsis the
 * event must have exactly as many fields as the pattern.
 */
export interface SpaceDelimitedPatternAst {
  readonly kind: 'spaceDelimited';
  readonly fields: readonly DelimitedField[];
  /** Number of `%regex%` values. */
  readonly regexCount: number;
  readonly span: Span;
}

/** Empty (or whitespace-only) pattern: matches every event. */
export interface EmptyPatternAst {
  readonly kind: 'empty';
  readonly span: Span;
}

/** Root of a parsed filter pattern. */
export type FilterPatternAst = EmptyPatternAst | TermsPatternAst | JsonPatternAst | SpaceDelimitedPatternAst;
