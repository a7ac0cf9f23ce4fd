/**
 * A parser for RFC 1035 §5 master files ("zone files"), with the later additions everybody uses:
 * `$TTL` (RFC 2308), TTL units (BIND), generic types and RDATA `TYPEnnn` / `\# len hex` (RFC 3597).
 *
 * It reads one file and never another: `$INCLUDE` (and BIND's `$GENERATE`) are rejected.
 * Records of the types mailaudit asks for (RRType) come out typed; other legal types are read,
 * checked up to their type, and skipped.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { RRType, RecordDataByType, ZoneRecord } from './types.js';

export interface ParsedZone {
  /** The zone's origin: see parseZone. Absolute, lower-case, no trailing dot; "" for the root. */
  origin: string;
  records: ZoneRecord[];
  soa?: ZoneRecord<'SOA'>;
  file: string;
  /** 1-based line of the first record (of any type), 0 when the file has none. */
  firstRecordLine: number;
}

export class ZoneSyntaxError extends Error {
  override readonly name = 'ZoneSyntaxError';

  constructor(
    readonly file: string,
    readonly line: number,
    /** What is wrong, without the `file:line: ` prefix that `message` has. */
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface ParseZoneOptions {
  /** Name the file is read in, for record origins and errors. */
  file: string;
  /** Initial $ORIGIN, with or without the trailing dot. */
  origin?: string;
  /** TTL of records before any explicit TTL or $TTL. Default 3600. */
  defaultTtl?: number;
}

/**
 * Parses a zone file. Names come out absolute, lower-case (ASCII), without the trailing dot.
 * A record's TTL is its own, else the last $TTL, else the previous record's, else `defaultTtl`.
 * Identical records (same name, type and data) are kept once, as a server serves them; that also
 * folds the SOA that AXFR output repeats at its end.
 *
 * The returned `origin` is the SOA's owner (the zone apex); without an
 * SOA, the `origin` option, else the first $ORIGIN, else "".
 *
 * @throws ZoneSyntaxError at the first problem, with the line it is on.
 */
export function parseZone(text: string, opts: ParseZoneOptions): ParsedZone {
  const origin = opts.origin === undefined ? undefined : originOption(opts.origin);
  const parser = new ZoneParser(opts.file, origin, opts.defaultTtl ?? 3600);
  return parser.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
}

// ---------------------------------------------------------------------------------------------
// Constants

const MAX_TTL = 2 ** 31 - 1; // RFC 2181 §8
const MAX_U32 = 2 ** 32 - 1;
const MAX_LABEL = 63;
const MAX_NAME = 255; // octets in wire form, root label included
const MAX_CHARACTER_STRING = 255;

/** Types parsed into typed data, with their codes for the RFC 3597 `TYPEnnn` spelling. */
const TYPE_CODES: ReadonlyMap<number, RRType> = new Map<number, RRType>([
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [12, 'PTR'],
  [15, 'MX'],
  [16, 'TXT'],
  [28, 'AAAA'],
  [33, 'SRV'],
  [52, 'TLSA'],
  [99, 'SPF'],
  [257, 'CAA'],
]);
const PARSED_TYPES: ReadonlySet<string> = new Set(TYPE_CODES.values());

/** Legal record types that mailaudit has no use for: read, then skipped (IANA registry mnemonics). */
const SKIPPED_TYPES: ReadonlySet<string> = new Set(
  `DS DNSKEY RRSIG NSEC NSEC3 NSEC3PARAM HTTPS SVCB HINFO LOC NAPTR SSHFP DNAME CDS CDNSKEY
   OPENPGPKEY SMIMEA URI RP AFSDB CERT
   MD MF MB MG MR NULL WKS MINFO X25 ISDN RT NSAP NSAP-PTR SIG KEY PX GPOS NXT EID NIMLOC ATMA KX
   A6 SINK APL IPSECKEY DHCID HIP NINFO RKEY TALINK CSYNC ZONEMD DSYNC UINFO UID GID UNSPEC NID
   L32 L64 LP EUI48 EUI64 NXNAME AVC DOA AMTRELAY RESINFO WALLET TA DLV`.split(/\s+/),
);

const CLASS_RE = /^(?:IN|CH|CS|HS|NONE|ANY|CLASS\d+)$/i;
const TTL_RE = /^(?:\d+|(?:\d+[smhdw])+)$/i;
const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

// ---------------------------------------------------------------------------------------------
// Tokenizer: the text becomes entries (one per record or directive), each a list of tokens.

interface Token {
  /** Raw text, escapes kept; for a quoted string, what is between the quotes. */
  text: string;
  quoted: boolean;
  line: number;
}

interface Entry {
  tokens: Token[];
  /** The entry's line starts with white space: the owner is the previous record's. */
  blankOwner: boolean;
  line: number;
}

type Fail = (line: number, reason: string) => never;

const BLANK = new Set([' ', '\t', '\r', '\f', '\v']);
const WORD_END = new Set([...BLANK, '\n', ';', '(', ')', '"']);

class Lexer {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly fail: Fail,
  ) {}

  /** The next entry that has tokens, or undefined at the end of the text. */
  next(): Entry | undefined {
    while (this.pos < this.text.length) {
      const blankOwner = BLANK.has(this.text[this.pos]);
      const tokens = this.logicalLine();
      if (tokens.length > 0) return { tokens, blankOwner, line: tokens[0].line };
    }
    return undefined;
  }

  /** Tokens up to the end of the line, or of the line closing the open parentheses. */
  private logicalLine(): Token[] {
    const tokens: Token[] = [];
    const open: number[] = []; // lines of the '(' not closed yet
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) {
        if (open.length > 0) this.fail(open[0], "unbalanced parentheses: '(' is never closed");
        return tokens;
      }
      if (c === '\n') {
        this.pos++;
        this.line++;
        if (open.length === 0) return tokens;
      } else if (BLANK.has(c)) {
        this.pos++;
      } else if (c === ';') {
        this.skipComment();
      } else if (c === '(') {
        open.push(this.line);
        this.pos++;
      } else if (c === ')') {
        if (open.length === 0) this.fail(this.line, "unbalanced parentheses: ')' without '('");
        open.pop();
        this.pos++;
      } else {
        tokens.push(c === '"' ? this.quoted() : this.word());
      }
    }
  }

  private skipComment(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.text.length : end;
  }

  private word(): Token {
    const start = this.pos;
    while (this.pos < this.text.length && !WORD_END.has(this.text[this.pos])) {
      if (this.text[this.pos] === '\\') this.skipEscape("backslash at end of line");
      else this.pos++;
    }
    return { text: this.text.slice(start, this.pos), quoted: false, line: this.line };
  }

  private quoted(): Token {
    const line = this.line;
    const start = ++this.pos;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail(line, 'unterminated quoted string');
      if (c === '"') break;
      if (c === '\\') this.skipEscape('unterminated quoted string', line);
      else this.pos++;
    }
    const text = this.text.slice(start, this.pos++);
    return { text, quoted: true, line };
  }

  /** Steps over a backslash and the character it escapes (the digits of \DDD are plain text). */
  private skipEscape(reason: string, line = this.line): void {
    const next = this.text[this.pos + 1];
    if (next === undefined || next === '\n') this.fail(line, reason);
    this.pos += 2;
  }
}

// ---------------------------------------------------------------------------------------------
// Text helpers. They throw Invalid; the parser turns it into a ZoneSyntaxError at the right line.

class Invalid extends Error {}

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Unit {
  bytes: number[];
  /** An unescaped '.', which separates labels in a name. */
  dot: boolean;
}

/** Splits presentation text into its octets: `\DDD` is one octet, `\X` is X, other characters UTF-8. */
function units(text: string): Unit[] {
  const out: Unit[] = [];
  for (let i = 0; i < text.length; ) {
    const escaped = text[i] === '\\';
    if (escaped && /\d/.test(text[i + 1] ?? '')) {
      const digits = text.slice(i + 1, i + 4);
      if (!/^\d{3}$/.test(digits) || Number(digits) > 255) throw new Invalid(`bad escape \\${digits}`);
      out.push({ bytes: [Number(digits)], dot: false });
      i += 4;
      continue;
    }
    if (escaped && ++i >= text.length) throw new Invalid('backslash at the end');
    const code = text.codePointAt(i) ?? 0;
    out.push({ bytes: utf8Bytes(code), dot: code === 0x2e && !escaped });
    i += code > 0xffff ? 2 : 1;
  }
  return out;
}

function utf8Bytes(code: number): number[] {
  return code < 0x80 ? [code] : [...encoder.encode(String.fromCodePoint(code))];
}

function octets(text: string): Uint8Array {
  if (!text.includes('\\')) return encoder.encode(text);
  return Uint8Array.from(units(text).flatMap((u) => u.bytes));
}

/** Octets as a JS string: UTF-8 when they are valid UTF-8, else one character per octet. */
function bytesToText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/** A <character-string>: at most 255 octets. */
function characterString(text: string): string {
  const bytes = octets(text);
  if (bytes.length > MAX_CHARACTER_STRING) {
    throw new Invalid(`character-string longer than ${MAX_CHARACTER_STRING} octets (${bytes.length})`);
  }
  return bytesToText(bytes);
}

function uint(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) {
    throw new Invalid(`bad ${what} '${text}': expected a number from 0 to ${max}`);
  }
  return Number(text);
}

/** A TTL: seconds, or units such as `1h30m` (s, m, h, d, w; any case). */
function parseTtl(text: string, what: string, max: number): number {
  if (!TTL_RE.test(text)) throw new Invalid(`bad ${what} '${text}'`);
  const value = /^\d+$/.test(text)
    ? Number(text)
    : [...text.matchAll(/(\d+)([a-z])/gi)].reduce((sum, [, n, unit]) => sum + Number(n) * TTL_UNITS[unit.toLowerCase()], 0);
  if (value > max) throw new Invalid(`${what} '${text}' is out of range (at most ${max} seconds)`);
  return value;
}

function hex(text: string, what: string): string {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text)) throw new Invalid(`bad ${what}: expected an even number of hex digits`);
  return text.toLowerCase();
}

function ipv4(text: string): string {
  if (!isIPv4(text)) throw new Invalid(`bad IPv4 address '${text}'`);
  return text;
}

function ipv6(text: string): string {
  const bad = new Invalid(`bad IPv6 address '${text}'`);
  if (!isIPv6(text) || text.includes('%')) throw bad;
  try {
    return new URL(`http://[${text}]`).hostname.slice(1, -1);
  } catch {
    throw bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Names

/** A label in our output form: ASCII lower-cased; '.', '\', space and controls escaped. */
function labelText(bytes: Uint8Array): string {
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    // not UTF-8: octets above 127 become \DDD
  }
  const chars = text === undefined ? Array.from(bytes, (b) => String.fromCharCode(b)) : Array.from(text);
  return chars.map((ch) => labelChar(ch, text === undefined)).join('');
}

function labelChar(ch: string, escapeHigh: boolean): string {
  const code = ch.codePointAt(0) ?? 0;
  const ddd = `\\${String(code).padStart(3, '0')}`;
  if (code >= 0x80) return escapeHigh ? ddd : ch;
  if (code <= 0x20 || code === 0x7f) return ddd;
  if (ch === '.' || ch === '\\') return `\\${ch}`;
  return ch.toLowerCase();
}

/** The labels of a name as written, and whether it ends with the root ('.'). */
function nameLabels(text: string): { labels: Uint8Array[]; absolute: boolean } {
  if (text === '') throw new Invalid('empty name');
  if (text === '.') return { labels: [], absolute: true };
  const labels: Uint8Array[] = [];
  let label: number[] = [];
  const parts = units(text);
  for (const unit of parts) {
    if (!unit.dot) {
      label.push(...unit.bytes);
      continue;
    }
    if (label.length === 0) throw new Invalid(`empty label in name '${text}'`);
    labels.push(Uint8Array.from(label));
    label = [];
  }
  const absolute = parts[parts.length - 1].dot;
  if (!absolute) labels.push(Uint8Array.from(label));
  const long = labels.find((l) => l.length > MAX_LABEL);
  if (long) throw new Invalid(`label longer than ${MAX_LABEL} octets (${long.length}) in name '${text}'`);
  return { labels, absolute };
}

/** Octets of a name (in our output form) on the wire: its labels, their length octets, the root. */
function wireLength(name: string): number {
  if (name === '') return 1;
  // without escapes, each '.' stands for one length octet: add the first label's and the root's
  if (!name.includes('\\')) return Buffer.byteLength(name) + 2;
  return nameLabels(`${name}.`).labels.reduce((sum, l) => sum + 1 + l.length, 1);
}

/** Resolves a name as written against the origin: '@', relative and absolute names. */
function absoluteName(text: string, origin: string | undefined): string {
  if (text === '@') {
    if (origin === undefined) throw new Invalid("'@' used but no origin is known (no $ORIGIN, no origin option)");
    return origin;
  }
  const { labels, absolute } = nameLabels(text);
  const written = labels.map(labelText).join('.');
  if (!absolute && origin === undefined) {
    throw new Invalid(`relative name '${text}' used but no origin is known (no $ORIGIN, no origin option)`);
  }
  const name = absolute || origin === '' ? written : `${written}.${origin}`;
  const length = wireLength(name);
  if (length > MAX_NAME) throw new Invalid(`name longer than ${MAX_NAME} octets (${length}): '${name}'`);
  return name;
}

function originOption(origin: string): string {
  try {
    const text = origin === '' ? '.' : origin.endsWith('.') ? origin : `${origin}.`;
    return absoluteName(text, undefined);
  } catch (err) {
    if (err instanceof Invalid) throw new TypeError(`invalid origin option '${origin}': ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// RDATA in presentation form

/** Reads the tokens after the type: the fields of one record's data. */
class RdataReader {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly type: RRType,
    /** Line of the type token, for data missing altogether. */
    private readonly typeLine: number,
    readonly parser: ZoneParser,
  ) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.index];
  }

  token(what: string): Token {
    const token = this.tokens[this.index];
    if (token === undefined) {
      const line = this.tokens[this.index - 1]?.line ?? this.typeLine;
      this.parser.fail(line, `missing ${what} in ${this.type} record`);
    }
    this.index++;
    return token;
  }

  rest(): Token[] {
    const rest = this.tokens.slice(this.index);
    this.index = this.tokens.length;
    return rest;
  }

  /** A field read from one token with a text helper. */
  field<T>(what: string, read: (text: string) => T): T {
    const token = this.token(what);
    return this.parser.check(token, () => {
      if (token.quoted) throw new Invalid(`bad ${what}: unexpected quoted string "${token.text}"`);
      return read(token.text);
    });
  }

  uint(what: string, max: number): number {
    return this.field(what, (text) => uint(text, what, max));
  }

  name(what: string): string {
    return this.field(what, (text) => this.parser.name(text));
  }

  end(): void {
    const extra = this.peek();
    if (extra) this.parser.fail(extra.line, `unexpected ${show(extra)} after the ${this.type} record data`);
  }
}

function show(token: Token): string {
  return token.quoted ? `"${token.text}"` : `'${token.text}'`;
}

type Readers = { [T in RRType]: (r: RdataReader) => RecordDataByType[T] };

const texts = (r: RdataReader): string[] =>
  r.rest().map((token) => r.parser.check(token, () => characterString(token.text)));

const PRESENTATION: Readers = {
  A: (r) => r.field('address', ipv4),
  AAAA: (r) => r.field('address', ipv6),
  MX: (r) => ({ preference: r.uint('preference', 0xffff), exchange: r.name('exchange') }),
  TXT: texts,
  SPF: texts,
  CNAME: (r) => r.name('target'),
  NS: (r) => r.name('name server'),
  PTR: (r) => r.name('target'),
  SOA: (r) => ({
    mname: r.name('mname'),
    rname: r.name('rname'),
    serial: r.uint('serial', MAX_U32),
    refresh: r.field('refresh', (t) => parseTtl(t, 'refresh', MAX_U32)),
    retry: r.field('retry', (t) => parseTtl(t, 'retry', MAX_U32)),
    expire: r.field('expire', (t) => parseTtl(t, 'expire', MAX_U32)),
    minimum: r.field('minimum', (t) => parseTtl(t, 'minimum', MAX_U32)),
  }),
  TLSA: (r) => {
    const usage = r.uint('usage', 0xff);
    const selector = r.uint('selector', 0xff);
    const matchingType = r.uint('matching type', 0xff);
    const first = r.token('certificate data');
    const data = [first, ...r.rest()].map((t) => t.text).join('');
    return { usage, selector, matchingType, data: r.parser.check(first, () => hex(data, 'certificate data')) };
  },
  CAA: (r) => {
    const flags = r.uint('flags', 0xff);
    const tag = r.field('tag', caaTag);
    const value = r.token('value');
    return { flags, tag, value: r.parser.check(value, () => bytesToText(octets(value.text))) };
  },
  SRV: (r) => ({
    priority: r.uint('priority', 0xffff),
    weight: r.uint('weight', 0xffff),
    port: r.uint('port', 0xffff),
    target: r.name('target'),
  }),
};

/** RFC 8659 §4.1: ASCII letters and digits; matched case-insensitively, so lower-cased here. */
function caaTag(text: string): string {
  if (!/^[a-z0-9]+$/i.test(text)) throw new Invalid(`bad CAA tag '${text}'`);
  return text.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// RDATA in the generic form of RFC 3597: \# <length> <hex>...

class WireReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new Invalid('generic RDATA is too short for its type');
    return this.bytes.subarray(this.pos, (this.pos += n));
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    const [a, b] = this.take(2);
    return (a << 8) | b;
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }

  rest(): Uint8Array {
    return this.take(this.bytes.length - this.pos);
  }

  /** An uncompressed name (compression is not allowed in zone files). */
  name(): string {
    const labels: string[] = [];
    for (let length = this.u8(); length !== 0; length = this.u8()) {
      if (length > MAX_LABEL) throw new Invalid('bad name in generic RDATA');
      labels.push(labelText(this.take(length)));
    }
    return labels.join('.');
  }
}

type WireReaders = { [T in RRType]: (w: WireReader) => RecordDataByType[T] };

function wireTexts(w: WireReader): string[] {
  const out: string[] = [];
  while (!w.done) out.push(bytesToText(w.take(w.u8())));
  return out;
}

const WIRE: WireReaders = {
  A: (w) => Array.from(w.take(4)).join('.'),
  AAAA: (w) => ipv6(Array.from({ length: 8 }, () => w.u16().toString(16)).join(':')),
  MX: (w) => ({ preference: w.u16(), exchange: w.name() }),
  TXT: wireTexts,
  SPF: wireTexts,
  CNAME: (w) => w.name(),
  NS: (w) => w.name(),
  PTR: (w) => w.name(),
  SOA: (w) => ({
    mname: w.name(),
    rname: w.name(),
    serial: w.u32(),
    refresh: w.u32(),
    retry: w.u32(),
    expire: w.u32(),
    minimum: w.u32(),
  }),
  TLSA: (w) => ({ usage: w.u8(), selector: w.u8(), matchingType: w.u8(), data: Buffer.from(w.rest()).toString('hex') }),
  CAA: (w) => {
    const flags = w.u8();
    const tag = caaTag(bytesToText(w.take(w.u8())));
    return { flags, tag, value: bytesToText(w.rest()) };
  },
  SRV: (w) => ({ priority: w.u16(), weight: w.u16(), port: w.u16(), target: w.name() }),
};

function isGeneric(token: Token | undefined): boolean {
  return token !== undefined && !token.quoted && token.text === '\\#';
}

function genericRdata<T extends RRType>(r: RdataReader, type: T): RecordDataByType[T] {
  const marker = r.token('\\#');
  const length = r.uint('RDATA length', 0xffff);
  const data = r.rest().map((t) => t.text).join('');
  return r.parser.check(marker, () => {
    const bytes = data === '' ? new Uint8Array() : Buffer.from(hex(data, 'generic RDATA'), 'hex');
    if (bytes.length !== length) throw new Invalid(`generic RDATA has ${bytes.length} octets, not ${length}`);
    const w = new WireReader(bytes);
    const value = (WIRE[type] as (w: WireReader) => RecordDataByType[T])(w);
    if (!w.done) throw new Invalid(`generic RDATA is too long for ${type}`);
    return value;
  });
}

// ---------------------------------------------------------------------------------------------
// Parser: directives and records

class ZoneParser {
  private origin: string | undefined;
  private dollarTtl: number | undefined;
  private lastTtl: number | undefined;
  private lastOwner: string | undefined;
  private firstOriginDirective: string | undefined;
  private originAtSoa: string | undefined;
  private firstRecordLine = 0;
  private soa: ZoneRecord<'SOA'> | undefined;
  private readonly records: ZoneRecord[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly initialOrigin: string | undefined,
    private readonly defaultTtl: number,
  ) {
    this.origin = initialOrigin;
  }

  parse(text: string): ParsedZone {
    const lexer = new Lexer(text, (line, reason) => this.fail(line, reason));
    for (let entry = lexer.next(); entry; entry = lexer.next()) {
      const head = entry.tokens[0];
      if (!head.quoted && head.text.startsWith('$')) this.directive(entry);
      else this.record(entry);
    }
    // The SOA's owner is the zone apex, whatever $ORIGIN was in effect when it was written.
    const origin = this.soa
      ? this.soa.name
      : (this.initialOrigin ?? this.firstOriginDirective ?? '');
    return { origin, records: this.records, soa: this.soa, file: this.file, firstRecordLine: this.firstRecordLine };
  }

  fail(line: number, reason: string): never {
    throw new ZoneSyntaxError(this.file, line, reason);
  }

  /** Runs a text helper for a token, reporting what it rejects at the token's line. */
  check<T>(token: Token, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof Invalid) this.fail(token.line, err.message);
      throw err;
    }
  }

  name(text: string): string {
    return absoluteName(text, this.origin);
  }

  private nameToken(token: Token, what: string): string {
    if (token.quoted) this.fail(token.line, `bad ${what}: unexpected quoted string "${token.text}"`);
    return this.check(token, () => this.name(token.text));
  }

  private directive({ tokens }: Entry): void {
    const [head, arg, extra] = tokens;
    const directive = head.text.toUpperCase();
    if (directive === '$INCLUDE' || directive === '$GENERATE') this.fail(head.line, `${directive} is not supported`);
    if (directive !== '$ORIGIN' && directive !== '$TTL') this.fail(head.line, `unknown directive ${head.text}`);
    if (arg === undefined) this.fail(head.line, `missing argument to ${directive}`);
    if (extra) this.fail(extra.line, `unexpected ${show(extra)} after ${directive}`);
    if (directive === '$TTL') {
      this.dollarTtl = this.check(arg, () => parseTtl(arg.text, 'TTL', MAX_TTL));
    } else {
      this.origin = this.nameToken(arg, '$ORIGIN');
      this.firstOriginDirective ??= this.origin;
    }
  }

  private record(entry: Entry): void {
    const tokens = entry.tokens.slice();
    const owner = entry.blankOwner ? this.previousOwner(entry.line) : this.nameToken(tokens.shift()!, 'owner name');
    const explicitTtl = this.ttlAndClass(tokens);
    const typeToken = tokens.shift();
    if (typeToken === undefined) this.fail(entry.tokens[entry.tokens.length - 1].line, 'missing record type');
    const type = this.recordType(typeToken);

    const ttl = explicitTtl ?? this.dollarTtl ?? this.lastTtl ?? this.defaultTtl;
    this.lastOwner = owner;
    this.lastTtl = ttl;
    if (this.firstRecordLine === 0) this.firstRecordLine = entry.line;
    if (type === undefined) return; // a legal type we do not use

    const reader = new RdataReader(tokens, type, typeToken.line, this);
    if (reader.done) this.fail(typeToken.line, `missing rdata for ${type} record`);
    const data = isGeneric(reader.peek()) ? genericRdata(reader, type) : PRESENTATION[type](reader);
    reader.end();
    this.add({ name: owner, type, ttl, data, origin: { file: this.file, line: entry.line } } as ZoneRecord);
  }

  private previousOwner(line: number): string {
    if (this.lastOwner === undefined) {
      this.fail(line, 'the first record has no owner name (its line starts with white space)');
    }
    return this.lastOwner;
  }

  /** Takes the optional TTL and class, in either order, from the front of the tokens. */
  private ttlAndClass(tokens: Token[]): number | undefined {
    let explicitTtl: number | undefined;
    let sawClass = false;
    for (let token = tokens[0]; token && !token.quoted; token = tokens[0]) {
      if (/^\d/.test(token.text)) {
        // no type or class starts with a digit: this is meant as a TTL
        if (explicitTtl !== undefined) this.fail(token.line, `second TTL '${token.text}' in one record`);
        explicitTtl = this.check(token, () => parseTtl(token.text, 'TTL', MAX_TTL));
      } else if (CLASS_RE.test(token.text)) {
        if (sawClass) this.fail(token.line, `second class '${token.text}' in one record`);
        if (!/^(?:IN|CLASS0*1)$/i.test(token.text)) this.fail(token.line, `class ${token.text} is not supported (only IN)`);
        sawClass = true;
      } else {
        break;
      }
      tokens.shift();
    }
    return explicitTtl;
  }

  /** The type to parse, undefined for a legal type that is skipped; fails on anything else. */
  private recordType(token: Token): RRType | undefined {
    const upper = token.text.toUpperCase();
    if (!token.quoted) {
      if (PARSED_TYPES.has(upper)) return upper as RRType;
      if (SKIPPED_TYPES.has(upper)) return undefined;
      const generic = /^TYPE(\d+)$/.exec(upper);
      if (generic && Number(generic[1]) <= 0xffff) return TYPE_CODES.get(Number(generic[1]));
    }
    this.fail(token.line, `unknown record type ${token.text}`);
  }

  private add(record: ZoneRecord): void {
    const key = JSON.stringify([record.name, record.type, record.data]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (record.type === 'SOA') this.addSoa(record as ZoneRecord<'SOA'>);
    this.records.push(record);
  }

  private addSoa(record: ZoneRecord<'SOA'>): void {
    if (this.soa) {
      this.fail(record.origin.line, `second SOA record (the first is at line ${this.soa.origin.line})`);
    }
    this.soa = record;
    this.originAtSoa = this.origin;
  }
}
