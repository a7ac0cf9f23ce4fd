import type { BimiFacts, BimiLogoFact, DmarcFacts, TxtRecordFact } from '../facts/index.js';
import type { CollectContext } from './context.js';
import { fetchHttps } from './https-fetch.js';
import { txtProblem, txtRecordsAt } from './txt.js';
// mailauth's SVG Tiny PS check: throws an Error with a code when the logo is not acceptable. A static
// import (not createRequire) so that the Action's bundler includes it.
import validateSvgModule from 'mailauth/lib/bimi/validate-svg.js';

/** draft-brand-indicators-for-message-identification §4.2: the record starts with v=BIMI1. */
export const BIMI_MARKER = /^\s*v\s*=\s*BIMI1\s*(?:;|$)/i;
/** The BIMI drafts ask for SVG logos of at most 32 KiB; reading stops at twice that. */
export const BIMI_LOGO_MAX_BYTES = 32 * 1024;
const BIMI_FETCH_CAP = 64 * 1024;

const { validateSvg } = validateSvgModule;

export function checkBimiSvg(svg: string): string | undefined {
  try {
    validateSvg(svg);
    return undefined;
  } catch (err) {
    const e = err as Error & { code?: string; details?: { element?: string } };
    const detail = e.details?.element ? ` (${e.details.element})` : '';
    return `${e.message}${detail}${e.code ? ` [${e.code}]` : ''}`;
  }
}

function httpsProblem(tag: string, value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:') return `${tag}= ${JSON.stringify(value)} must be an https: URL`;
    return undefined;
  } catch {
    return `${tag}= ${JSON.stringify(value)} is not a URL`;
  }
}

/** Checks a BIMI assertion record; returns its logo and authority URLs and the problems. */
export function parseBimiRecord(text: string): { logo?: string; authority?: string; problems: string[] } {
  const problems: string[] = [];
  const fields = text.split(';').map((f) => f.trim());
  if (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  const version = /^v\s*=\s*(.*)$/.exec(fields[0] ?? '');
  if (!version || version[1] !== 'BIMI1') problems.push(`the record must start with "v=BIMI1", found ${JSON.stringify(fields[0] ?? '')}`);
  const tags = new Map<string, string>();
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    if (eq <= 0) {
      problems.push(`field ${JSON.stringify(field)} is not tag=value`);
      continue;
    }
    const name = field.slice(0, eq).trim().toLowerCase();
    if (tags.has(name)) problems.push(`the ${name}= tag appears more than once`);
    else tags.set(name, field.slice(eq + 1).trim());
  }
  const logo = tags.get('l');
  const authority = tags.get('a');
  if (logo === undefined) problems.push('the l= tag (logo URL) is missing');
  else if (logo !== '') {
    if (logo.includes(',')) problems.push('l= must hold a single https: URL of the SVG logo');
    else {
      const p = httpsProblem('l', logo);
      if (p) problems.push(p);
    }
  }
  if (authority !== undefined && authority !== '' && authority !== 'self') {
    const p = httpsProblem('a', authority);
    if (p) problems.push(p);
  }
  return { logo, authority, problems };
}

/** The DMARC facts BIMI depends on, read defensively (the DMARC facts are extended elsewhere). */
export function dmarcForBimi(dmarc: DmarcFacts | undefined): { determined: boolean; policy?: string; pct: number } {
  if (!dmarc || dmarc.status === 'undetermined') return { determined: false, pct: 100 };
  const effective = dmarc.effective as (DmarcFacts['effective'] & { pct?: unknown }) | undefined;
  const tags = (dmarc.records?.length === 1 && !effective?.inherited ? dmarc.records[0]?.tags : undefined) ?? {};
  const rawPct = effective?.pct ?? tags['pct'];
  const pct = rawPct === undefined || rawPct === '' ? 100 : Number(rawPct);
  return { determined: true, policy: effective?.policy, pct: Number.isFinite(pct) ? pct : 100 };
}

async function checkLogo(ctx: CollectContext, url: string): Promise<BimiLogoFact> {
  const parsed = new URL(url);
  const { fact, body } = await fetchHttps(ctx, {
    host: parsed.hostname.toLowerCase(),
    path: `${parsed.pathname}${parsed.search}`,
    ...(parsed.port ? { port: Number(parsed.port) } : {}),
    maxBytes: BIMI_FETCH_CAP,
  });
  fact.url = url;
  const logo: BimiLogoFact = { fetch: fact };
  if (fact.status !== 'ok' || !body) return logo;
  if (body.length > BIMI_LOGO_MAX_BYTES) {
    logo.valid = false;
    logo.problem = `the SVG is ${body.length} bytes: BIMI logos must not exceed ${BIMI_LOGO_MAX_BYTES}`;
    return logo;
  }
  const problem = checkBimiSvg(body.toString('utf8'));
  logo.valid = problem === undefined;
  if (problem) logo.problem = problem;
  return logo;
}

/** The BIMI assertion record at `default._bimi.<domain>`, its logo (fetched and checked), and DMARC enforcement. */
export async function collectBimi(ctx: CollectContext, dmarcFacts: Promise<DmarcFacts>): Promise<BimiFacts> {
  const name = `default._bimi.${ctx.domain}`;
  const { status, records } = await txtRecordsAt(ctx, name, BIMI_MARKER);
  const facts: BimiFacts = { status, name, records, count: records.length, declined: false, errors: [] };
  if (records[0]?.origin) facts.origin = records[0].origin;
  const problem = (message: string, record?: TxtRecordFact) => txtProblem(name, message, record);
  if (records.length > 1) facts.errors.push(problem(`${records.length} v=BIMI1 records are published: receivers use none unless there is exactly one`, records[1]));
  let logoCheck: Promise<BimiLogoFact> | undefined;
  if (records.length === 1) {
    const parsed = parseBimiRecord(records[0]!.text);
    for (const message of parsed.problems) facts.errors.push(problem(message, records[0]));
    if (parsed.logo !== undefined) facts.logoUrl = parsed.logo;
    if (parsed.authority !== undefined) facts.authorityUrl = parsed.authority;
    facts.declined = parsed.logo === '' && (parsed.authority ?? '') === '';
    if (parsed.logo && !parsed.problems.some((p) => p.startsWith('l='))) logoCheck = checkLogo(ctx, parsed.logo);
  } else {
    for (const record of records) for (const message of parseBimiRecord(record.text).problems) facts.errors.push(problem(message, record));
  }
  const dmarc = dmarcForBimi(await dmarcFacts);
  if (dmarc.determined && status === 'found' && !facts.declined) {
    facts.dmarcPolicy = dmarc.policy ?? 'missing';
    facts.dmarcPct = dmarc.pct;
    facts.dmarcEnforced = (dmarc.policy === 'quarantine' || dmarc.policy === 'reject') && dmarc.pct >= 100;
  }
  if (logoCheck) facts.logo = await logoCheck;
  return facts;
}
