import type { MtaStsFacts, MtaStsMode, MtaStsPolicyFact, MxFacts, TxtRecordFact } from '../facts/index.js';
import type { CollectContext } from './context.js';
import { fetchHttps } from './https-fetch.js';
import { txtProblem, txtRecordsAt } from './txt.js';

/** RFC 8461 §3.1: records that do not start with v=STSv1 are discarded (matched loosely here, checked strictly below). */
export const MTA_STS_MARKER = /^\s*v\s*=\s*STSv1\s*(?:;|$)/i;
export const MTA_STS_POLICY_PATH = '/.well-known/mta-sts.txt';
/** RFC 8461 §3.3: senders may refuse a policy larger than 64 KiB. */
export const MTA_STS_MAX_BYTES = 64 * 1024;
export const MTA_STS_MAX_AGE = 31_557_600;
/**
 * `mx:` patterns kept in the facts (every pattern is still matched): 64 KiB hold about 4,500, and a
 * report that lists them all once per MX host grows with their product.
 */
export const MTA_STS_PATTERNS_KEPT = 100;
/** Syntax problems of a policy file kept (one per line could be thousands); the rest are counted in one more. */
export const MTA_STS_PROBLEMS_KEPT = 50;
/** `mx:` patterns quoted in each MX-host mismatch (the count says how many there are). */
export const MTA_STS_PATTERNS_PER_MISMATCH = 10;

const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/** Checks a `_mta-sts` TXT record against RFC 8461 §3.1; returns the id and the problems. */
export function parseMtaStsRecord(text: string): { id?: string; problems: string[] } {
  const problems: string[] = [];
  const fields = text.split(';').map((f) => f.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  if (fields[0] !== 'v=STSv1') problems.push(`the record must start with "v=STSv1", found ${JSON.stringify(fields[0] ?? '')}`);
  let id: string | undefined;
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const name = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (name === 'id') {
      if (id !== undefined) problems.push('the id field appears more than once');
      else if (!/^[A-Za-z0-9]{1,32}$/.test(value)) problems.push(`id ${JSON.stringify(value)} must be 1 to 32 letters and digits`);
      else id = value;
    } else if (name === 'v') {
      problems.push('the v field appears more than once');
    } else if (eq < 0 || !EXT_NAME.test(name) || !EXT_VALUE.test(value)) {
      problems.push(`field ${JSON.stringify(field)} is not name=value`);
    }
  }
  if (id === undefined && !problems.some((p) => p.startsWith('id '))) problems.push('the id field is missing');
  return { id, problems };
}

export interface ParsedPolicy {
  version?: string;
  mode?: MtaStsMode;
  mx: string[];
  maxAge?: number;
  problems: string[];
}

const MX_PATTERN = /^(\*\.)?(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Parses an MTA-STS policy file (RFC 8461 §3.2): CRLF- or LF-separated `key: value` lines. */
export function parseMtaStsPolicy(text: string): ParsedPolicy {
  const policy: ParsedPolicy = { mx: [], problems: [] };
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.replace(/[ \t]+$/, '');
    const at = `line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      policy.problems.push(`${at}: ${JSON.stringify(raw)} is not "key: value"`);
      return;
    }
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+/, '');
    if (key !== 'mx' && seen.has(key) && ['version', 'mode', 'max_age'].includes(key)) {
      policy.problems.push(`${at}: ${key} appears more than once`);
      return;
    }
    seen.add(key);
    switch (key) {
      case 'version':
        policy.version = value;
        if (value !== 'STSv1') policy.problems.push(`${at}: version must be STSv1, found ${JSON.stringify(value)}`);
        break;
      case 'mode':
        if (value === 'enforce' || value === 'testing' || value === 'none') policy.mode = value;
        else policy.problems.push(`${at}: mode must be enforce, testing or none, found ${JSON.stringify(value)}`);
        break;
      case 'mx':
        if (MX_PATTERN.test(value)) policy.mx.push(value.toLowerCase().replace(/\.$/, ''));
        else policy.problems.push(`${at}: mx ${JSON.stringify(value)} is not a host name or *.domain pattern`);
        break;
      case 'max_age':
        if (!/^\d{1,10}$/.test(value) || Number(value) > MTA_STS_MAX_AGE) {
          policy.problems.push(`${at}: max_age must be a number of seconds from 0 to ${MTA_STS_MAX_AGE}, found ${JSON.stringify(value)}`);
        } else policy.maxAge = Number(value);
        break;
      default:
        if (!EXT_NAME.test(key)) policy.problems.push(`${at}: ${JSON.stringify(key)} is not a valid key`);
    }
  });
  if (!seen.has('version')) policy.problems.push('the version field is missing');
  if (!seen.has('mode')) policy.problems.push('the mode field is missing');
  if (!seen.has('max_age')) policy.problems.push('the max_age field is missing');
  if (policy.mode !== 'none' && policy.mx.length === 0 && !policy.problems.some((p) => p.includes(' mx '))) {
    policy.problems.push('no mx field: an enforce or testing policy must list the MX hosts');
  }
  return policy;
}

/** RFC 8461 §4.1: a pattern matches the host exactly, or `*.suffix` matches one label followed by the suffix. */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return h === p;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The `_mta-sts` record, the policy it announces (fetched over HTTPS), and the MX hosts checked against it. */
export async function collectMtaSts(ctx: CollectContext, mxFacts: Promise<MxFacts>): Promise<MtaStsFacts> {
  const name = `_mta-sts.${ctx.domain}`;
  const { status, records } = await txtRecordsAt(ctx, name, MTA_STS_MARKER);
  const facts: MtaStsFacts = { status, name, records, count: records.length, errors: [], mxMismatches: [], applicable: true };
  if (records[0]?.origin) facts.origin = records[0].origin;
  const problem = (message: string, record?: TxtRecordFact) => txtProblem(name, message, record);
  if (records.length > 1) facts.errors.push(problem(`${records.length} v=STSv1 records are published: senders ignore MTA-STS unless there is exactly one`, records[1]));
  for (const record of records) {
    const parsed = parseMtaStsRecord(record.text);
    if (records.length === 1 && parsed.id) facts.id = parsed.id;
    for (const message of parsed.problems) facts.errors.push(problem(message, record));
  }
  const policyPromise = records.length ? fetchPolicy(ctx) : undefined;
  const mx = await mxFacts;
  // A null MX needs no MTA-STS; with the MX lookup failed, whether it does is undetermined.
  facts.applicable = !mx.nullMx && mx.status !== 'undetermined';
  if (!policyPromise) return facts;
  const { policy, problems, patterns } = await policyPromise;
  facts.policy = policy;
  for (const message of problems) facts.errors.push({ name: `mta-sts.${ctx.domain}`, type: 'HTTPS', message: `policy ${message}` });
  if (policy.valid && (policy.mode === 'enforce' || policy.mode === 'testing') && mx.status === 'found') {
    // Matched against every pattern, not only those kept in the facts.
    const hosts = [...new Set(mx.hosts.filter((h) => !h.isNull).map((h) => h.exchange))];
    for (const host of hosts) {
      if (!patterns.some((p) => mxMatchesPattern(host, p))) {
        facts.mxMismatches.push({ host, patterns: patterns.slice(0, MTA_STS_PATTERNS_PER_MISMATCH), patternCount: patterns.length, mode: policy.mode });
      }
    }
  }
  return facts;
}

async function fetchPolicy(ctx: CollectContext): Promise<{ policy: MtaStsPolicyFact; problems: string[]; patterns: string[] }> {
  const { fact, body } = await fetchHttps(ctx, {
    host: `mta-sts.${ctx.domain}`,
    path: MTA_STS_POLICY_PATH,
    maxBytes: MTA_STS_MAX_BYTES,
    contentTypes: ['text/plain'],
  });
  const policy: MtaStsPolicyFact = { fetch: fact, mx: [], valid: false };
  if (fact.status !== 'ok' || !body) return { policy, problems: [], patterns: [] };
  const parsed = parseMtaStsPolicy(body.toString('utf8'));
  if (parsed.version !== undefined) policy.version = parsed.version;
  if (parsed.mode !== undefined) policy.mode = parsed.mode;
  if (parsed.maxAge !== undefined) policy.maxAge = parsed.maxAge;
  policy.mx = parsed.mx.slice(0, MTA_STS_PATTERNS_KEPT);
  policy.mxCount = parsed.mx.length;
  if (parsed.mx.length > MTA_STS_PATTERNS_KEPT) policy.mxTruncated = true;
  policy.valid = parsed.problems.length === 0;
  const problems = parsed.problems.slice(0, MTA_STS_PROBLEMS_KEPT);
  const more = parsed.problems.length - problems.length;
  if (more > 0) problems.push(`has ${more} more problem${more === 1 ? '' : 's'} not listed (the first ${MTA_STS_PROBLEMS_KEPT} are)`);
  return { policy, problems, patterns: parsed.mx };
}
