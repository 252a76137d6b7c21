import { FilterPatternSyntaxError } from './errors';
import { checkRegexSource } from './regex';

/** Token kinds of JSON (`{...}`) and space-delimited (`[...]`) patterns. */
export type TokenKind =
  | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'lbracket' | 'rbracket' | 'comma'
  | 'and' | 'or' | 'op' | 'selector' | 'string' | 'regex' | 'word' | 'eof';

/** A lexed token. */
export interface Token {
  readonly kind: TokenKind;
  /** Source text (including quotes / `%` delimiters). */
  readonly raw: string;
  /** For `string`: the unescaped content; for `regex`: the source between `%`; otherwise `raw`. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/**
 * `json`: `$` starts a selector; `[`, `]` and `,` are ordinary characters.
 * `delimited`: `[`, `]` and `,` are punctuation; `$` is an ordinary character.
 */
export type LexMode = 'json' | 'delimited';

const WS = new Set([' ', '\t', '\r', '\n']);
const OP_CHARS = new Set(['=', '!', '<', '>']);
/** Characters that end an unquoted word / selector in every mode. */
const WORD_BREAK = new Set([' ', '\t', '\r', '\n', '(', ')', '{', '}', '"', '&', '|', '=', '!', '<', '>']);
const DELIMITED_BREAK = new Set([',', '[', ']']);

/** On-demand lexer over the pattern text (context-free within a mode). */
export class Lexer {
  private pos: number;
  private peeked: Token | undefined;

  constructor(private readonly text: string, private readonly mode: LexMode, start: number) {
    this.pos = start;
  }

  /** Returns the next token without consuming it. */
  public peek(): Token {
    if (!this.peeked) {
      this.peeked = this.scan();
    }
    return this.peeked;
  }

  /** Consumes and returns the next token. */
  public next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private error(position: number, reason: string): never {
    throw new FilterPatternSyntaxError(this.text, position, reason);
  }

  private scan(): Token {
    const text = this.text;
    let i = this.pos;
    while (i < text.length && WS.has(text[i])) i++;
    const start = i;
    if (i >= text.length) {
      this.pos = i;
      return { kind: 'eof', raw: '', value: '', start, end: start };
    }
    const c = text[i];
    const single = (kind: TokenKind): Token => {
      this.pos = i + 1;
      return { kind, raw: c, value: c, start, end: i + 1 };
    };
    switch (c) {
      case '(': return single('lparen');
      case ')': return single('rparen');
      case '{': return single('lbrace');
      case '}': return single('rbrace');
      default: break;
    }
    if (this.mode === 'delimited') {
      if (c === '[') return single('lbracket');
      if (c === ']') return single('rbracket');
      if (c === ',') return single('comma');
    }
    if (c === '&' || c === '|') {
      if (text[i + 1] === c) {
        this.pos = i + 2;
        const raw = c + c;
        return { kind: c === '&' ? 'and' : 'or', raw, value: raw, start, end: i + 2 };
      }
      this.error(start, `unexpected '${c}': use '${c}${c}' for ${c === '&' ? 'AND' : 'OR'}`);
    }
    if (c === '"') {
      return this.scanString(start);
    }
    if (c === '%') {
      return this.scanRegex(start);
    }
    if (OP_CHARS.has(c)) {
      let j = i;
      while (j < text.length && OP_CHARS.has(text[j])) j++;
      this.pos = j;
      const raw = text.slice(start, j);
      return { kind: 'op', raw, value: raw, start, end: j };
    }
    // selector or word: run up to a break character
    let j = i;
    while (j < text.length && !WORD_BREAK.has(text[j]) && !(this.mode === 'delimited' && DELIMITED_BREAK.has(text[j]))) j++;
    this.pos = j;
    const raw = text.slice(start, j);
    const kind: TokenKind = this.mode === 'json' && c === '$' ? 'selector' : 'word';
    return { kind, raw, value: raw, start, end: j };
  }

  private scanString(start: number): Token {
    const text = this.text;
    let value = '';
    let i = start + 1;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === '"') {
        this.pos = i + 1;
        return { kind: 'string', raw: text.slice(start, i + 1), value, start, end: i + 1 };
      }
      value += ch;
      i++;
    }
    return this.error(start, 'unterminated string: missing closing \'"\'');
  }

  private scanRegex(start: number): Token {
    const text = this.text;
    const close = text.indexOf('%', start + 1);
    if (close < 0) {
      this.error(start, 'unterminated regex: missing closing \'%\'');
    }
    const source = text.slice(start + 1, close);
    const problem = checkRegexSource(source);
    if (problem) {
      this.error(start + 1 + problem.offset, problem.reason);
    }
    this.pos = close + 1;
    return { kind: 'regex', raw: text.slice(start, close + 1), value: source, start, end: close + 1 };
  }
}
