import { ComparisonNode, ComparisonValue, ExistsNode, IsNode, JsonExpression, PathSegment } from '../ast';
import { CompiledFilterPattern } from '../index';
import { parseFilterPatternAst } from '../parser';

/**
 * Translation of CloudWatch Logs filter patterns into Athena (Trino) SQL over
 * the CloudTrail table the Athena documentation defines (internal; see
 * docs/athena.md for the table and the reasoning).
 *
 * The table (CloudTrail SerDe, lower-case columns): most fields are `STRING`
 * columns, `useridentity`, `addendum` and `tlsdetails` are `STRUCT`s (so
 * `$.userIdentity.sessionContext.sessionIssuer.arn` is
 * `useridentity.sessioncontext.sessionissuer.arn`), `resources` is an
 * `ARRAY<STRUCT>`, and `requestparameters`, `responseelements`,
 * `additionaleventdata`, `serviceeventdetails` (and `edgedevicedetails`) hold
 * JSON **text**, read with `json_extract_scalar` / `json_extract`.
 *
 * Semantics kept, leaf by leaf (CloudWatch rules, `../evaluator.ts`):
 * - A comparison on a missing field is false, `!=` included: SQL gives NULL
 *   (not true) for `NULL <> 'x'`, and the emitted expression never negates a
 *   sub-expression that can be NULL, so NULL behaves as false in the WHERE.
 * - A comparison on a JSON `true`/`false`/`null`, an object or an array is
 *   false: on JSON columns `json_extract_scalar` is NULL for null, objects
 *   and arrays, and a guard on the JSON text (`json_format(json_extract(..))`)
 *   rejects booleans wherever the comparison would accept the text
 *   `true`/`false`; struct and array columns are never compared.
 * - `*` wildcards => `LIKE ... ESCAPE '\'` with `%`, `_` and `\` escaped;
 *   `%regex%` => `regexp_like` (both search unanchored); numbers compare
 *   numerically with numeric strings (`try_cast`, guarded by the number
 *   syntax CloudWatch accepts), and `!=` a number holds for non-numeric strings.
 * - `= "*"` (exists), `NOT EXISTS`, `IS NULL/TRUE/FALSE` look at the JSON
 *   text on JSON columns.
 *
 * What the table cannot say is reported in `inexact`, never approximated
 * silently: on its typed (`STRING`/`STRUCT`) columns a JSON `null` and a
 * missing key are both SQL NULL (existence tests and `IS NULL`), a JSON
 * boolean reads as the string `true`/`false` (`IS TRUE`/`IS FALSE`), fields
 * that are not columns of the table, and term or space-delimited patterns
 * (they search the raw log line, which the table does not keep).
 *
 * The typed columns are taken to hold what CloudTrail documents for them
 * (strings; `readOnly` a boolean); that is the table's own assumption.
 */

/** A filter pattern as a SQL condition. */
export interface AthenaSqlCondition {
  /** A Trino boolean expression over the CloudTrail table's columns. */
  readonly where: string;
  /**
   * Why the condition may select other records than the filter pattern
   * matches, one sentence each (empty when it selects exactly the same).
   */
  readonly inexact: string[];
  /**
   * Selectors (paths) whose JSON null the table reads as missing, where that
   * changes the result (a subset of what `inexact` reports; for tests).
   */
  readonly nullAsMissing: ReadonlyArray<readonly PathSegment[]>;
}

/** How a column (or struct field) of the documented table holds a CloudTrail field. */
type ColumnKind =
  /** STRING holding a JSON string. */
  | 'string'
  /** STRING holding a JSON boolean (`readOnly`): the SerDe reads `true` as 'true'. */
  | 'boolean'
  /** STRING holding the JSON text of an object. */
  | 'json'
  | 'struct'
  /** ARRAY<STRUCT<...>> */
  | 'array'
  /** MAP<STRING,STRING> */
  | 'map';

interface Column {
  /** CloudTrail's JSON key (case-sensitive in filter patterns). */
  readonly key: string;
  /** Column or struct field name in the table (lower case). */
  readonly name: string;
  readonly kind: ColumnKind;
  /** Fields of a struct, or of an array's element struct. */
  readonly fields?: readonly Column[];
}

const s = (key: string): Column => ({ key, name: key.toLowerCase(), kind: 'string' });
const j = (key: string): Column => ({ key, name: key.toLowerCase(), kind: 'json' });
const st = (key: string, fields: Column[]): Column => ({ key, name: key.toLowerCase(), kind: 'struct', fields });

/**
 * The columns of the documented CloudTrail table
 * (athena/latest/ug/create-cloudtrail-table-partition-projection.html), keyed
 * by the CloudTrail JSON names they hold. `CLOUDTRAIL_TABLE_COLUMNS_DDL`
 * renders the same list as DDL.
 */
export const CLOUDTRAIL_COLUMNS: readonly Column[] = [
  s('eventVersion'),
  st('userIdentity', [
    s('type'), s('principalId'), s('arn'), s('accountId'), s('invokedBy'), s('accessKeyId'), s('userName'),
    st('onBehalfOf', [s('userId'), s('identityStoreArn')]),
    st('sessionContext', [
      st('attributes', [s('mfaAuthenticated'), s('creationDate')]),
      st('sessionIssuer', [s('type'), s('principalId'), s('arn'), s('accountId'), s('userName')]),
      s('ec2RoleDelivery'),
      st('webIdFederationData', [s('federatedProvider'), { key: 'attributes', name: 'attributes', kind: 'map' }]),
      s('sourceIdentity'),
    ]),
  ]),
  s('eventTime'), s('eventSource'), s('eventName'), s('awsRegion'), s('sourceIPAddress'), s('userAgent'),
  s('errorCode'), s('errorMessage'),
  j('requestParameters'), j('responseElements'), j('additionalEventData'),
  s('requestID'), s('eventID'),
  { key: 'readOnly', name: 'readonly', kind: 'boolean' },
  { key: 'resources', name: 'resources', kind: 'array', fields: [s('ARN'), s('accountId'), s('type')] },
  s('eventType'), s('apiVersion'), s('recipientAccountId'),
  j('serviceEventDetails'),
  s('sharedEventID'), s('vpcEndpointId'), s('vpcEndpointAccountId'), s('eventCategory'),
  st('addendum', [s('reason'), s('updatedFields'), s('originalRequestID'), s('originalEventID')]),
  s('sessionCredentialFromConsole'),
  j('edgeDeviceDetails'),
  st('tlsDetails', [s('tlsVersion'), s('cipherSuite'), s('clientProvidedHostHeader')]),
];

function columnType(c: Column): string {
  switch (c.kind) {
    case 'string': case 'boolean': case 'json': return 'STRING';
    case 'map': return 'MAP<STRING,STRING>';
    case 'struct': return `STRUCT<${c.fields!.map(f => `${f.name}: ${columnType(f)}`).join(', ')}>`;
    case 'array': return `ARRAY<STRUCT<${c.fields!.map(f => `${f.name}: ${columnType(f)}`).join(', ')}>>`;
  }
}

/** The column list of the documented table, as `name TYPE` lines (Hive DDL types). */
export function cloudTrailColumnsDdl(): string[] {
  return CLOUDTRAIL_COLUMNS.map(c => `${c.name} ${columnType(c)}`);
}

/** The Glue column list of the documented table (Glue type strings). */
export function cloudTrailGlueColumns(): Array<{ name: string; type: string }> {
  return CLOUDTRAIL_COLUMNS.map(c => ({ name: c.name, type: columnType(c).toLowerCase().replace(/: /g, ':').replace(/, /g, ',') }));
}

/** What a selector resolves to in the table. */
type Resolved =
  /** A STRING column or struct field (`kind` string or boolean). */
  | { readonly kind: 'string' | 'boolean'; readonly expr: string }
  /** A path inside a JSON text column. */
  | { readonly kind: 'jsonPath'; readonly column: string; readonly path: string }
  /** A struct, array, map or JSON column as a whole (a JSON object in the record). */
  | { readonly kind: 'object'; readonly expr: string }
  /** Not a column of the table. */
  | { readonly kind: 'absent'; readonly why: string };

/** The CloudWatch number syntax (`../evaluator.ts`), as a regex both engines read the same way. */
export const SQL_NUMBER_REGEX = '^[+-]?([0-9]+(\\.[0-9]+)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$';

/**
 * The SQL condition that selects the CloudTrail records a filter pattern matches.
 */
export function athenaConditionFor(pattern: string | CompiledFilterPattern): AthenaSqlCondition {
  const patternText = typeof pattern === 'string' ? pattern : pattern.text;
  const ast = typeof pattern === 'string' ? parseFilterPatternAst(pattern) : pattern._ast;
  const inexact: string[] = [];
  const nullAsMissing: PathSegment[][] = [];
  switch (ast.kind) {
    case 'empty':
      return { where: 'TRUE', inexact, nullAsMissing };
    case 'terms':
    case 'spaceDelimited':
      inexact.push(`The ${ast.kind === 'terms' ? 'term' : 'space-delimited'} pattern ${JSON.stringify(patternText)} searches the raw log line, which the CloudTrail table does not keep; the query selects nothing.`);
      return { where: 'FALSE', inexact, nullAsMissing };
    case 'json':
      return { where: render(ast.expression, { inexact, nullAsMissing }, true), inexact, nullAsMissing };
  }
}

/**
 * The condition selecting what any of several patterns matches (the filters
 * that count towards one metric). Reasons are merged without duplicates.
 */
export function athenaConditionForAny(patterns: ReadonlyArray<string | CompiledFilterPattern>): AthenaSqlCondition {
  const parts = patterns.map(p => athenaConditionFor(p));
  if (parts.length === 0) return { where: 'FALSE', inexact: [], nullAsMissing: [] };
  const inexact = [...new Set(parts.flatMap(p => p.inexact))];
  const nullAsMissing = parts.flatMap(p => p.nullAsMissing);
  const wheres = [...new Set(parts.map(p => p.where))];
  return { where: wheres.length === 1 ? wheres[0] : wheres.map(w => `(${w})`).join('\n   OR '), inexact, nullAsMissing };
}

function addReason(reasons: string[], reason: string): void {
  if (!reasons.includes(reason)) reasons.push(reason);
}

interface Notes { readonly inexact: string[]; readonly nullAsMissing: PathSegment[][] }

function render(e: JsonExpression, notes: Notes, top: boolean): string {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const inList = e.kind === 'or' ? asInList(e.operands) : undefined;
      if (inList) return inList;
      const joined = e.operands.map(o => render(o, notes, false)).join(e.kind === 'and' ? ' AND ' : ' OR ');
      return top ? joined : `(${joined})`;
    }
    default:
      return renderLeaf(e, notes);
  }
}

/** `$.f = "a" || $.f = "b"` on a STRING column => `f IN ('a', 'b')`. */
function asInList(operands: readonly JsonExpression[]): string | undefined {
  let expr: string | undefined;
  const values: string[] = [];
  for (const o of operands) {
    if (o.kind !== 'comparison' || o.operator !== '=' || o.value.kind !== 'string') return undefined;
    const r = resolve(o.selector.path);
    if (r.kind !== 'string') return undefined;
    if (expr !== undefined && r.expr !== expr) return undefined;
    expr = r.expr;
    values.push(sqlString(o.value.value));
  }
  return `${expr} IN (${values.join(', ')})`;
}

function renderLeaf(e: ComparisonNode | ExistsNode | IsNode, notes: Notes): string {
  const inexact = notes.inexact;
  const r = resolve(e.selector.path);
  const sel = e.selector.text;
  const nullOrMissing = (what: string) => {
    addReason(inexact, `${what}: the table reads a JSON null and a missing ${sel} both as SQL NULL, so records where it is null are ${what.includes('NOT EXISTS') || what.includes('IS NULL') ? 'selected as if it were missing' : 'taken as missing'}.`);
    notes.nullAsMissing.push([...e.selector.path]);
  };
  switch (r.kind) {
    case 'absent': {
      addReason(inexact, `${sel}: ${r.why}; the query takes it as missing in every record.`);
      if (e.kind === 'exists') return e.exists ? 'FALSE' : 'TRUE';
      return 'FALSE';
    }
    case 'object': {
      if (e.kind === 'comparison') return 'FALSE'; // objects and arrays are never equal to a value
      if (e.kind === 'exists') {
        nullOrMissing(`${sel} ${e.exists ? '= "*"' : 'NOT EXISTS'}`);
        return e.exists ? 'FALSE' : `${r.expr} IS NULL`;
      }
      if (e.test !== 'null') return 'FALSE';
      nullOrMissing(`${sel} IS NULL`);
      return `${r.expr} IS NULL`;
    }
    case 'string':
    case 'boolean': {
      const x = r.expr;
      if (e.kind === 'exists') {
        nullOrMissing(`${sel} ${e.exists ? '= "*"' : 'NOT EXISTS'}`);
        return e.exists ? `${x} IS NOT NULL` : `${x} IS NULL`;
      }
      if (e.kind === 'is') {
        if (e.test === 'null') {
          nullOrMissing(`${sel} IS NULL`);
          return `${x} IS NULL`;
        }
        if (r.kind === 'string') {
          addReason(inexact, `${sel} IS ${e.test.toUpperCase()}: the column is a string; the table reads a JSON ${e.test} and the string "${e.test}" alike, so both are selected.`);
        }
        return `${x} = '${e.test}'`;
      }
      // A comparison never holds on a JSON boolean.
      if (r.kind === 'boolean') return 'FALSE';
      return compare(x, e.operator, e.value);
    }
    case 'jsonPath': {
      const scalar = `json_extract_scalar(${r.column}, ${sqlString(r.path)})`;
      const text = `json_format(json_extract(${r.column}, ${sqlString(r.path)}))`;
      if (e.kind === 'exists') {
        return e.exists
          ? `(${scalar} IS NOT NULL OR ${text} = 'null')`
          : `json_extract(${r.column}, ${sqlString(r.path)}) IS NULL`;
      }
      if (e.kind === 'is') return `${text} = '${e.test}'`;
      if (e.value.kind === 'string' && NUMBER.test(e.value.value)) {
        addReason(inexact, `${sel} ${e.operator} "${e.value.value}": a JSON number is compared as Trino prints it, which can differ from CloudWatch's form (1.0 against "1").`);
      }
      const cmp = compare(scalar, e.operator, e.value);
      // json_extract_scalar reads true/false as 'true'/'false': keep booleans out where the comparison would accept that text.
      return acceptsBooleanText(e.operator, e.value) ? `(${cmp} AND ${text} NOT IN ('true', 'false'))` : cmp;
    }
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `x <op> value` for a string-valued SQL expression x (NULL when missing). */
function compare(x: string, op: ComparisonNode['operator'], v: ComparisonValue): string {
  const neg = op === '!=';
  switch (v.kind) {
    case 'string':
      return `${x} ${neg ? '<>' : '='} ${sqlString(v.value)}`;
    case 'wildcard': {
      const body = likeEscape(v.text);
      const pattern = v.match === 'startsWith' ? `${body}%` : v.match === 'endsWith' ? `%${body}` : `%${body}%`;
      return `${x} ${neg ? 'NOT LIKE' : 'LIKE'} ${sqlString(pattern)} ESCAPE '\\'`;
    }
    case 'regex':
      return `${neg ? 'NOT ' : ''}regexp_like(${x}, ${sqlString(v.source)})`;
    case 'number': {
      const isNum = `regexp_like(${x}, '${SQL_NUMBER_REGEX}')`;
      const n = numberLiteral(v.value);
      const asNum = `try_cast(${x} AS DOUBLE)`;
      return neg ? `(NOT ${isNum} OR ${asNum} <> ${n})` : `(${isNum} AND ${asNum} ${op} ${n})`;
    }
  }
}

/** Whether `<op> value` holds for the strings "true" or "false" (so JSON booleans need excluding). */
function acceptsBooleanText(op: ComparisonNode['operator'], v: ComparisonValue): boolean {
  const test = (t: string): boolean => {
    switch (v.kind) {
      case 'string': return t === v.value;
      case 'wildcard': return v.match === 'startsWith' ? t.startsWith(v.text) : v.match === 'endsWith' ? t.endsWith(v.text) : t.includes(v.text);
      case 'regex': return new RegExp(v.source).test(t);
      case 'number': return false; // never equal; `!=` a number holds for any non-numeric string
    }
  };
  return op === '!=' ? true : test('true') || test('false');
}

function numberLiteral(n: number): string {
  // DOUBLE literal: always with an exponent, so no engine reads it as an integer or a DECIMAL.
  return n.toExponential().replace('e+', 'E').replace('e-', 'E-');
}

/** Resolves a selector path against the table's columns. */
function resolve(path: readonly PathSegment[]): Resolved {
  const first = path[0];
  const col = typeof first === 'string' ? CLOUDTRAIL_COLUMNS.find(c => c.key === first) : undefined;
  if (!col) return { kind: 'absent', why: `the CloudTrail table has no column for ${JSON.stringify(first)}` };
  return resolveIn(col, col.name, path.slice(1), `$.${first}`);
}

function resolveIn(col: Column, expr: string, rest: readonly PathSegment[], where: string): Resolved {
  if (rest.length === 0) {
    return col.kind === 'string' || col.kind === 'boolean' ? { kind: col.kind, expr } : { kind: 'object', expr };
  }
  const [next, ...tail] = rest;
  switch (col.kind) {
    case 'json':
      return { kind: 'jsonPath', column: expr, path: jsonPath(rest) };
    case 'struct': {
      const f = typeof next === 'string' ? col.fields!.find(x => x.key === next) : undefined;
      if (!f) return { kind: 'absent', why: `the table's ${where} has no field ${JSON.stringify(next)}` };
      return resolveIn(f, `${expr}.${f.name}`, tail, `${where}.${next}`);
    }
    case 'array': {
      if (typeof next !== 'number') return { kind: 'absent', why: `${where} is an array; ${JSON.stringify(next)} is not an index` };
      const element: Column = { key: `${col.key}[${next}]`, name: '', kind: 'struct', fields: col.fields };
      return resolveIn(element, `element_at(${expr}, ${next + 1})`, tail, `${where}[${next}]`);
    }
    case 'map': {
      if (typeof next !== 'string' || tail.length > 0) return { kind: 'absent', why: `${where} is a map of strings` };
      return { kind: 'string', expr: `element_at(${expr}, ${sqlString(next)})` };
    }
    case 'string':
    case 'boolean':
      // A step into a string: nothing there in any record.
      return { kind: 'absent', why: `${where} is a string column, it has no ${JSON.stringify(next)}` };
  }
}

/** A JSONPath for json_extract(_scalar): `$.a.b[0]`, with `["..."]` for keys that are not plain names. */
function jsonPath(path: readonly PathSegment[]): string {
  return '$' + path.map(p => typeof p === 'number' ? `[${p}]`
    : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`).join('');
}

/** A SQL string literal. */
export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Escapes LIKE's `%`, `_` and the escape character `\` (used with `ESCAPE '\'`). */
export function likeEscape(v: string): string {
  return v.replace(/[\\%_]/g, c => `\\${c}`);
}

/** Columns the per-control queries select, eventid first. */
export const ATHENA_SELECT_COLUMNS: readonly string[] = [
  'eventid', 'eventtime', 'eventsource', 'eventname', 'awsregion', 'recipientaccountid',
  'useridentity.arn AS principal', 'sourceipaddress', 'errorcode',
];

/** A table name as Athena takes it: `table`, `db.table` or `catalog.db.table`, each part a plain identifier. */
export const ATHENA_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}(\.[A-Za-z_][A-Za-z0-9_]{0,254}){0,2}$/;

/**
 * A full query selecting the matching records, newest first.
 * @param header comment lines to put first; `false` for no comments at all
 * (not even the inexact reasons, which the caller then reports itself)
 */
export function athenaQuery(condition: AthenaSqlCondition, table: string, header: readonly string[] | false = []): string {
  if (!ATHENA_TABLE_NAME.test(table)) throw new Error(`table "${table}" is not a valid Athena table name (table, db.table or catalog.db.table; letters, digits, _).`);
  const lines = header === false ? [] : [...header, ...condition.inexact.map(r => `inexact: ${r}`)];
  const comments = lines.map(l => `-- ${sqlCommentText(l)}\n`).join('');
  return `${comments}SELECT ${ATHENA_SELECT_COLUMNS.join(', ')}\nFROM ${quoteTableName(table)}\nWHERE ${condition.where}\nORDER BY eventtime DESC`;
}

/**
 * Text that stays inside one `--` comment: Trino and DuckDB end such a comment
 * at a carriage return as well as a line feed, and editors and terminals break
 * lines at NEL, VT, FF and U+2028/U+2029 too, so a metric name (hostile input:
 * it comes from the template) holding any of them could end the comment and
 * put its rest into the statement. Every control character, NEL and the two
 * Unicode separators are written as visible escapes (`\r`, `\u2028`).
 */
export function sqlCommentText(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, c => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

/**
 * A table name in double quotes, part by part (`default` is a reserved word).
 * @throws Error when it is not a valid name (see ATHENA_TABLE_NAME)
 */
export function quoteTableName(table: string): string {
  if (!ATHENA_TABLE_NAME.test(table)) throw new Error(`table "${table}" is not a valid Athena table name (table, db.table or catalog.db.table; letters, digits, _).`);
  return table.split('.').map(p => `"${p}"`).join('.');
}
