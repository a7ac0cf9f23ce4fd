import { isIPv6 } from 'node:net';

/**
 * An SPF record parser that follows the ABNF of RFC 7208 §12 term by term.
 *
 * spf-parse 1.0.4 (the package we started with) cannot be wrapped into a correct parser: its a/mx/
 * redirect/exp patterns are unanchored (`include:example.ca` matches `a`, `include:mail.example.mx`
 * matches `mx`), it says `valid: true` next to errors, calls unknown modifiers errors, accepts
 * `v=spf10`, validates names against a public-suffix list instead of the domain-spec grammar and
 * leaves the CIDR glued to the domain. Every term it gets right it gets right by accident, so this
 * module replaces it for every term; test/spf-parse.test.ts holds the corpus that proves the difference.
 */

export type SpfQualifier = '+' | '-' | '~' | '?';
export type SpfMechanism = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';
/** `modifier` is a modifier RFC 7208 does not define: ignored (§6), but its value must still parse. */
export type SpfTermKind = SpfMechanism | 'redirect' | 'exp' | 'modifier' | 'invalid';

export interface SpfTerm {
  /** The term as published. */
  text: string;
  kind: SpfTermKind;
  /** Mechanisms only: the qualifier, `+` when none is written. */
  qualifier?: SpfQualifier;
  /** Modifiers: the name, lower-cased. */
  name?: string;
  /** include/a/mx/ptr/exists/redirect/exp: the domain-spec as written (macros unexpanded). */
  target?: string;
  /** ip4/ip6: the network address. */
  address?: string;
  /** ip4 and a/mx: the IPv4 prefix length, when written. */
  cidr4?: number;
  /** ip6 and a/mx: the IPv6 prefix length, when written. */
  cidr6?: number;
  /** The domain-spec (or modifier value) contains macros (RFC 7208 §7). */
  macro?: boolean;
  /** Why the term does not parse. */
  error?: string;
  /**
   * The domain-spec parses (RFC 7208 §7.1) but is no DNS name (an empty label, a label over 63
   * octets): receivers differ, permerror or a name that does not exist (RFC 7208 §4.8, §5).
   */
  invalidName?: string;
}

export interface ParsedSpf {
  terms: SpfTerm[];
  /** Terms that do not parse, with the reason, in record order. */
  errors: { term: string; reason: string }[];
}

/** RFC 7208 §4.5: `v=spf1` exactly, then a space or the end of the record. */
export const SPF_VERSION = /^v=spf1(?: |$)/i;

export function isSpfRecord(text: string): boolean {
  return SPF_VERSION.test(text);
}

const QUALIFIERS = new Set(['+', '-', '~', '?']);
const MECHANISMS = new Set<string>(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
/** name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
const NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;
/** toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
const TOPLABEL = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])';
const IP4_NETWORK = new RegExp(`^${QNUM}(?:\\.${QNUM}){3}$`);
/** ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ); ip6 allows 0*2DIGIT. */
const CIDR4 = /^(?:0|[1-9][0-9]?)$/;
const CIDR6 = /^(?:0|[1-9][0-9]{0,2})$/;
/** macro-expand body: macro-letter transformers *delimiter */
const MACRO_BODY = /^([a-zA-Z])([0-9]*)([rR]?)([.\-+,/_=]*)$/;
const MACRO_LETTERS = 'slodiphcrtv';
const EXP_ONLY_LETTERS = 'crt';

class TermError extends Error {}

/**
 * Validates a macro-string (RFC 7208 §7.1) and returns whether it expands anything.
 * `expLetters`: c, r and t are allowed (only in explanation text, §7.2).
 */
export function checkMacroString(value: string, expLetters = false): { macro: boolean; endsWithMacro: boolean } {
  let macro = false;
  let endsWithMacro = false;
  for (let i = 0; i < value.length; ) {
    const c = value[i]!;
    if (c === '%') {
      const next = value[i + 1];
      if (next === '%' || next === '_' || next === '-') {
        macro = true;
        endsWithMacro = true;
        i += 2;
        continue;
      }
      if (next !== '{') throw new TermError(`"%" must start a macro (%{…}, %%, %_ or %-) in "${value}"`);
      const end = value.indexOf('}', i + 2);
      if (end < 0) throw new TermError(`unterminated macro in "${value}"`);
      const body = value.slice(i + 2, end);
      const m = MACRO_BODY.exec(body);
      if (!m) throw new TermError(`invalid macro "%{${body}}"`);
      const letter = m[1]!.toLowerCase();
      if (!MACRO_LETTERS.includes(letter)) throw new TermError(`unknown macro letter "${m[1]}" in "%{${body}}"`);
      if (EXP_ONLY_LETTERS.includes(letter) && !expLetters) {
        throw new TermError(`macro letter "${m[1]}" is allowed only in explanation text (§7.1)`);
      }
      if (m[2] && Number(m[2]) === 0) throw new TermError(`macro "%{${body}}": the number of parts must be nonzero (§7.3)`);
      macro = true;
      endsWithMacro = true;
      i = end + 1;
      continue;
    }
    const code = value.charCodeAt(i);
    // macro-literal = %x21-24 / %x26-7E
    if (code < 0x21 || code > 0x7e) {
      throw new TermError(`character ${JSON.stringify(c)} is not allowed in "${value}"`);
    }
    endsWithMacro = false;
    i++;
  }
  return { macro, endsWithMacro };
}

/**
 * domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand.
 * Returns whether it has macros, and why the name (valid by the ABNF) can be no DNS name.
 */
function checkDomainSpec(spec: string): { macro: boolean; invalidName?: string } {
  if (spec === '') throw new TermError('empty domain');
  const { macro, endsWithMacro } = checkMacroString(spec);
  if (endsWithMacro) return { macro };
  const literal = spec.replace(/\.$/, '');
  const tail = /(?:^|%[%_-]|%\{[^}]*\})([^%]*)$/.exec(literal)?.[1] ?? literal;
  const dot = tail.lastIndexOf('.');
  if (dot < 0) throw new TermError(`"${spec}" is not a domain name (no "." before the last label)`);
  const top = tail.slice(dot + 1);
  if (!TOPLABEL.test(top)) throw new TermError(`"${spec}" does not end in a valid top label ("${top}")`);
  // The ABNF allows these (macro-string is any visible characters); DNS does not (RFC 1035 §2.3.4):
  // RFC 7208 leaves it to the receiver whether such a name is permerror or a name that does not exist.
  if (!macro && /(?:^|\.)\.|^\./.test(literal)) return { macro, invalidName: `"${spec}" has an empty label` };
  for (const label of tail.split('.')) {
    if (label.length > 63) return { macro, invalidName: `label "${label.slice(0, 20)}…" of "${spec}" is longer than 63 octets` };
  }
  if (!macro && Buffer.byteLength(literal) > 253) return { macro, invalidName: `"${spec.slice(0, 40)}…" is longer than 253 octets` };
  return { macro };
}

/** Records what checkDomainSpec found on the term. */
function setDomainSpec(term: SpfTerm, spec: string): void {
  term.target = spec;
  const { macro, invalidName } = checkDomainSpec(spec);
  if (macro) term.macro = true;
  if (invalidName) term.invalidName = invalidName;
}

function cidr(value: string | undefined, re: RegExp, max: number, family: string): number | undefined {
  if (value === undefined) return undefined;
  if (!re.test(value) || Number(value) > max) throw new TermError(`invalid ${family} prefix length "/${value}" (0-${max}, no leading zeros)`);
  return Number(value);
}

function parseModifier(term: SpfTerm, name: string, value: string, seen: Set<string>): void {
  const lower = name.toLowerCase();
  term.name = lower;
  if (lower === 'redirect' || lower === 'exp') {
    term.kind = lower;
    if (seen.has(lower)) throw new TermError(`a second "${lower}=" modifier (§6: at most one)`);
    seen.add(lower);
    setDomainSpec(term, value);
    return;
  }
  term.kind = 'modifier';
  // unknown-modifier = name "=" macro-string: ignored (§6), but it must still be a macro-string.
  if (checkMacroString(value, true).macro) term.macro = true;
}

function parseMechanism(term: SpfTerm, body: string): void {
  const m = /^([A-Za-z][A-Za-z0-9._-]*)(.*)$/.exec(body);
  const name = m?.[1]?.toLowerCase() ?? '';
  const rest = m?.[2] ?? body;
  if (!MECHANISMS.has(name)) {
    term.kind = 'invalid';
    throw new TermError(name ? `unknown mechanism "${m![1]}"` : 'not a mechanism or modifier');
  }
  term.kind = name as SpfMechanism;
  switch (name) {
    case 'all':
      if (rest) throw new TermError('"all" takes no argument');
      return;
    case 'include':
    case 'exists': {
      if (!rest.startsWith(':')) throw new TermError(`"${name}" needs ":domain"`);
      setDomainSpec(term, rest.slice(1));
      return;
    }
    case 'ptr': {
      if (!rest) return;
      if (!rest.startsWith(':')) throw new TermError('"ptr" takes only ":domain"');
      setDomainSpec(term, rest.slice(1));
      return;
    }
    case 'a':
    case 'mx': {
      // [ ":" domain-spec ] [ dual-cidr-length ]; the CIDR suffix is read from the end.
      const d = /^(?::(.*?))?(?:\/([0-9]*))?(?:\/\/([0-9]*))?$/.exec(rest);
      if (!d) throw new TermError(`"${name}" takes ":domain" and "/cidr4//cidr6"`);
      if (d[1] !== undefined) setDomainSpec(term, d[1]);
      const c4 = cidr(d[2], CIDR4, 32, 'IPv4');
      const c6 = cidr(d[3], CIDR6, 128, 'IPv6');
      if (c4 !== undefined) term.cidr4 = c4;
      if (c6 !== undefined) term.cidr6 = c6;
      return;
    }
    case 'ip4': {
      const d = /^:([^/]*)(?:\/([^/]*))?$/.exec(rest);
      if (!d) throw new TermError('"ip4" needs ":a.b.c.d" with an optional "/len"');
      if (!IP4_NETWORK.test(d[1]!)) throw new TermError(`"${d[1]}" is not an IPv4 address`);
      term.address = d[1]!;
      const c4 = cidr(d[2], CIDR4, 32, 'IPv4');
      if (c4 !== undefined) term.cidr4 = c4;
      return;
    }
    case 'ip6': {
      const d = /^:([^/]*)(?:\/([^/]*))?$/.exec(rest);
      if (!d) throw new TermError('"ip6" needs ":address" with an optional "/len"');
      if (!isIPv6(d[1]!) || d[1]!.includes('%')) throw new TermError(`"${d[1]}" is not an IPv6 address`);
      term.address = d[1]!;
      const c6 = cidr(d[2], CIDR6, 128, 'IPv6');
      if (c6 !== undefined) term.cidr6 = c6;
      return;
    }
  }
}

/** Parses one term; `seen` tracks redirect/exp across the record. */
export function parseTerm(text: string, seen: Set<string> = new Set()): SpfTerm {
  const term: SpfTerm = { text, kind: 'invalid' };
  try {
    const eq = text.indexOf('=');
    const sep = text.search(/[:/]/);
    if (eq > 0 && (sep < 0 || eq < sep) && NAME.test(text.slice(0, eq))) {
      parseModifier(term, text.slice(0, eq), text.slice(eq + 1), seen);
    } else {
      const q = text[0] ?? '';
      const qualified = QUALIFIERS.has(q);
      term.qualifier = (qualified ? q : '+') as SpfQualifier;
      parseMechanism(term, qualified ? text.slice(1) : text);
    }
  } catch (err) {
    if (!(err instanceof TermError)) throw err;
    term.error = err.message;
    if (term.kind === 'invalid') delete term.qualifier;
  }
  return term;
}

/**
 * Parses a record that `isSpfRecord` accepted. Terms are separated by SP only (§4.6.1); any other
 * white space is part of a term and makes it invalid.
 */
export function parseSpf(record: string): ParsedSpf {
  if (!isSpfRecord(record)) {
    return { terms: [], errors: [{ term: record.split(' ')[0] ?? record, reason: 'not an SPF record: it must start with "v=spf1" followed by a space or the end' }] };
  }
  const seen = new Set<string>();
  const terms = record
    .slice(6)
    .split(' ')
    .filter((t) => t !== '')
    .map((t) => parseTerm(t, seen));
  const errors = terms.filter((t) => t.error).map((t) => ({ term: t.text, reason: t.error! }));
  return { terms, errors };
}
