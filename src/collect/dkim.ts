import { createPublicKey } from 'node:crypto';
import type { DnsAnswer } from '../dns/types.js';
import type { DkimDiscoveryFacts, DkimFacts, DkimKeyFact, DkimProblemFact } from '../facts/index.js';
import type { RecordOrigin } from '../dns/types.js';
import type { CollectContext } from './context.js';
import { splitTagList } from './txt.js';

/**
 * Selectors the common senders publish keys under. Providers that generate random selectors (Amazon
 * SES Easy DKIM tokens, Postmark's dated `…pm` selectors) cannot be guessed: give them with
 * --dkim-selector.
 */
export const BUILTIN_SELECTORS: readonly string[] = [
  // Google Workspace
  'google',
  // Microsoft 365
  'selector1',
  'selector2',
  // Amazon SES (legacy TXT selector; Easy DKIM uses random tokens)
  'amazonses',
  // SendGrid
  's1',
  's2',
  'smtpapi',
  // Mailchimp / Mandrill
  'k1',
  'k2',
  'k3',
  'mandrill',
  // Zoho
  'zoho',
  'zmail',
  // Fastmail
  'fm1',
  'fm2',
  'fm3',
  // Proton
  'protonmail',
  'protonmail2',
  'protonmail3',
  // Postmark (legacy selector)
  'pm',
  // Mailgun
  'mx',
  'smtp',
  'mailo',
  'krs',
  // Generic: control panels, OpenDKIM/rspamd defaults and common hand-picked names
  'default',
  'dkim',
  'mail',
  'key1',
  'key2',
  'selector',
  'sig1',
];

/** Asked to tell a wildcard under `_domainkey` from real keys: no one names a selector like this. */
export const WILDCARD_PROBE = 'mailaudit-wildcard-probe-7q2x';

/** RFC 6376 §3.1: selector = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2). */
const SELECTOR_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Why `name` is not a usable selector, or undefined when it is. */
export function selectorProblem(name: string): string | undefined {
  if (!name) return 'a selector cannot be empty';
  if (name.length > 200) return 'a selector longer than 200 characters leaves no room for the domain';
  const bad = name.split('.').find((label) => !SELECTOR_LABEL.test(label));
  if (bad !== undefined) return `"${bad || '(empty label)'}" is not a DNS label (letters, digits and inner hyphens, 1 to 63 characters)`;
  return undefined;
}

/** RFC 6376 §3.2 tag-list: names lower-cased, whitespace removed from values (FWS in base64 is allowed), first value wins. */
function tagList(text: string): { tags: Record<string, string>; order: string[]; malformed: string[]; repeated: string[] } {
  const split = splitTagList(text);
  const tags: Record<string, string> = {};
  const repeated: string[] = [];
  for (const { name, value } of split.tags) {
    if (name in tags) repeated.push(name);
    else tags[name] = value;
  }
  return { tags, order: split.tags.map((t) => t.name), malformed: split.malformed, repeated };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const list = (value: string | undefined): string[] | undefined =>
  value === undefined ? undefined : value.split(':').map((s) => s.trim().toLowerCase()).filter(Boolean);

/** A record at a selector name is a key record when it starts with v=DKIM1 or carries a p= tag. */
const looksLikeKey = (text: string) => /^\s*v\s*=\s*DKIM1\b/i.test(text) || /(?:^|;)\s*p\s*=/i.test(text);

/** Reads the RSA key size from the key itself: SubjectPublicKeyInfo (RFC 6376 §3.6.1), else PKCS#1. */
function rsaKey(der: Buffer): { bits: number; encoding: 'spki' | 'pkcs1' } | { error: string; mismatch?: true } {
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') return { error: `the key is ${key.asymmetricKeyType ?? 'not RSA'}, not RSA as k=rsa says`, mismatch: true };
      return { bits: key.asymmetricKeyDetails?.modulusLength ?? 0, encoding: type };
    } catch {
      // try the next encoding
    }
  }
  return { error: 'the key data is not an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1)' };
}

/** RFC 6376 §3.3 and RFC 8301 §3.1: the hash algorithms a verifier may use today (sha1 is forbidden). */
const USABLE_HASHES = new Set(['sha256']);
/** RFC 6376 §3.3, RFC 8463: the key types defined. */
const KEY_TYPES = new Set(['rsa', 'ed25519']);

/**
 * Parses one key record (RFC 6376 §3.6.1; RFC 8463 for Ed25519; RFC 8301 for h=). A problem is
 * `syntax` when the record breaks the grammar or its key data cannot be decoded, and names why
 * otherwise: a well-formed record whose key no verifier can use (no usable hash, not for email,
 * an unknown key type).
 */
export function parseKeyRecord(selector: string, name: string, chunks: string[], origin?: RecordOrigin): { key: DkimKeyFact; problems: DkimProblemFact[] } {
  const text = chunks.join('');
  const { tags, order, malformed, repeated } = tagList(text);
  const problems: DkimProblemFact[] = [];
  const problem = (tag: string, reason: string, kind: DkimProblemFact['kind'] = 'syntax') =>
    problems.push(origin ? { selector, name, tag, reason, kind, origin } : { selector, name, tag, reason, kind });
  const flags = list(tags['t']) ?? [];
  const key: DkimKeyFact = {
    selector,
    name,
    text,
    chunks,
    tags,
    keyType: (tags['k'] ?? 'rsa').toLowerCase(),
    flags,
    testing: flags.includes('y'),
    strictIdentity: flags.includes('s'),
    revoked: tags['p'] !== undefined && tags['p'].replace(/\s+/g, '') === '',
    sha1Allowed: false,
    valid: true,
  };
  if (origin) key.origin = origin;
  const hashes = list(tags['h']);
  if (hashes) {
    key.hashAlgorithms = hashes;
    key.sha1Allowed = hashes.includes('sha1');
    // RFC 6376 §3.6.1: unrecognised algorithms MUST be ignored; only a list left with nothing usable is a problem.
    const ignored = hashes.filter((h) => h !== 'sha1' && !USABLE_HASHES.has(h));
    if (ignored.length) key.ignoredHashAlgorithms = ignored;
    if (hashes.length === 0) problem('h', 'h= is empty: the tag lists at least one algorithm when present');
    else if (!hashes.some((h) => USABLE_HASHES.has(h))) {
      const why = key.sha1Allowed ? 'allows only sha1, which verifiers no longer accept (RFC 8301 §3.1)' : 'names no algorithm verifiers know';
      problem('h', `h=${tags['h']} ${why}: no signature made with this key can verify; sha256 is needed`, 'no-usable-hash');
    }
  }
  const services = list(tags['s']);
  if (services) {
    key.serviceTypes = services;
    // RFC 6376 §3.6.1: unrecognised service types are ignored; a list without * or email leaves none for mail.
    if (services.length === 0) problem('s', 's= is empty: the tag lists at least one service type when present');
    else if (!services.includes('*') && !services.includes('email')) problem('s', `s=${tags['s']} does not include email (nor *): verifiers must not use the key for mail`, 'not-for-email');
  }
  for (const part of malformed) problem('', `"${part}" is not a tag=value pair`);
  for (const tag of repeated) problem(tag, `the tag ${tag} appears more than once (RFC 6376 §3.2)`);
  if (tags['v'] !== undefined) {
    if (order[0] !== 'v') problem('v', 'v= must be the first tag when present');
    if (tags['v'] !== 'DKIM1') problem('v', `v=${tags['v']}: the version must be DKIM1`);
  }
  const p = tags['p'];
  if (p === undefined) problem('p', 'the required tag p (the public key) is missing');
  else if (!key.revoked) {
    const data = p.replace(/\s+/g, '');
    if (!BASE64.test(data)) problem('p', 'the key data is not valid base64');
    else {
      const der = Buffer.from(data, 'base64');
      if (key.keyType === 'rsa') {
        const rsa = rsaKey(der);
        // A well-formed key of another type is unusable rather than a syntax error.
        if ('error' in rsa) problem('p', rsa.error, rsa.mismatch ? 'key-type-mismatch' : 'syntax');
        else {
          key.bits = rsa.bits;
          key.encoding = rsa.encoding;
        }
      } else if (key.keyType === 'ed25519') {
        if (der.length === 32) key.bits = 256;
        else problem('p', `an Ed25519 key is 32 bytes (RFC 8463), this one is ${der.length}`);
      }
    }
  }
  if (tags['k'] !== undefined && key.keyType === '') problem('k', 'k= is empty: give the key type (rsa or ed25519)');
  else if (!KEY_TYPES.has(key.keyType)) problem('k', `k=${tags['k']} is a key type no verifier knows (rsa and ed25519 are defined)`, 'unknown-key-type');
  key.valid = problems.length === 0 && !key.revoked;
  return { key, problems };
}

const texts = (answer: DnsAnswer<'TXT'>) => (answer.status === 'ok' ? answer.records.map((c) => c.join('')) : []);

/** Whether the domain sends no mail: `v=spf1 -all` with a null MX or no MX. */
async function sendsMail(ctx: CollectContext): Promise<boolean> {
  const [txt, mx] = await Promise.all([ctx.dns.resolve(ctx.domain, 'TXT'), ctx.dns.resolve(ctx.domain, 'MX')]);
  const spf = texts(txt).filter((t) => /^v=spf1(?: |$)/i.test(t));
  const spfNone = spf.length === 1 && /^v=spf1\s+-all\s*$/i.test(spf[0]!);
  const noMx = mx.status === 'nodata' || mx.status === 'nxdomain';
  const nullMx = mx.status === 'ok' && mx.records.length > 0 && mx.records.every((r) => r.exchange === '');
  return !(spfNone && (noMx || nullMx));
}

/** `--dkim-discovery`: auto asks `_domainkey` first (RFC 8020); full always asks every selector. */
export type DkimDiscoveryMode = 'auto' | 'full';

/**
 * Asked even when `_domainkey.<domain>` is NXDOMAIN, besides the user's selectors: the most common
 * ones (Google Workspace, Microsoft 365, control panels' default), so that a server that wrongly
 * answers NXDOMAIN for an empty non-terminal is caught.
 */
export const GUARD_SELECTORS: readonly string[] = ['google', 'selector1', 'selector2', 'default'];

interface Discovery {
  asked: string[];
  answers: DnsAnswer<'TXT'>[];
  probe?: DnsAnswer<'TXT'>;
  discovery: DkimDiscoveryFacts;
}

/** A selector's name exists (NOERROR, with or without TXT). */
const exists = (a: DnsAnswer) => a.status === 'ok' || a.status === 'nodata';

/** The full probe: the wildcard probe first, then every selector at once. */
async function fullProbe(ctx: CollectContext, base: string, tried: string[]): Promise<Pick<Discovery, 'asked' | 'answers' | 'probe'>> {
  // The probe goes first: when it fails, the selectors' answers could not be told from a wildcard's
  // anyway, and a resolver outage yields one failed lookup instead of one per selector.
  const probe = await ctx.dns.resolve(`${WILDCARD_PROBE}.${base}`, 'TXT');
  const asked = probe.status === 'error' ? [] : tried;
  const answers = await Promise.all(asked.map((s) => ctx.dns.resolve(`${s}.${base}`, 'TXT')));
  return { asked, answers, probe };
}

async function discover(ctx: CollectContext, base: string, tried: string[], user: string[], mode: DkimDiscoveryMode): Promise<Discovery> {
  const full = async (discovery: DkimDiscoveryFacts): Promise<Discovery> => ({ ...(await fullProbe(ctx, base, tried)), discovery });
  if (mode === 'full') {
    return full({ method: 'full', reason: 'forced', rfc8020Broken: false, note: 'every selector was asked: --dkim-discovery full' });
  }
  const domainkey = await ctx.dns.resolve(base, 'TXT');
  const status = domainkey.status;
  if (status === 'error') {
    const note = `the lookup of ${base} failed with ${domainkey.error ?? 'an error'}, so every selector was asked`;
    return full({ method: 'full', reason: 'domainkey-failed', domainkeyStatus: status, rfc8020Broken: false, note });
  }
  if (status !== 'nxdomain') {
    const note = `${base} exists, so every selector was asked`;
    return full({ method: 'full', reason: 'domainkey-exists', domainkeyStatus: status, rfc8020Broken: false, note });
  }
  const guards = [...new Set([...GUARD_SELECTORS, ...user])];
  const answers = await Promise.all(guards.map((s) => ctx.dns.resolve(`${s}.${base}`, 'TXT')));
  if (answers.some(exists)) {
    const note = `${base} answered NXDOMAIN although a selector below it exists, which breaks RFC 8020, so every selector was asked`;
    return full({ method: 'full', reason: 'rfc8020-broken', domainkeyStatus: status, rfc8020Broken: true, note });
  }
  const note = `${base} does not exist, so by RFC 8020 no selector below it does: only the given and the most common selectors were asked`;
  return { asked: guards, answers, discovery: { method: 'short', reason: 'domainkey-nxdomain', domainkeyStatus: status, rfc8020Broken: false, note } };
}

/**
 * DKIM keys of the domain, found as RFC 8020 allows (see DkimDiscoveryFacts): a wildcard under
 * `_domainkey` detected with an improbable selector and its answers set aside, each key record parsed.
 */
export async function collectDkim(ctx: CollectContext, userSelectors: readonly string[] = [], mode: DkimDiscoveryMode = 'auto'): Promise<DkimFacts> {
  const user = userSelectors.map((s) => s.toLowerCase());
  const tried = [...new Set([...BUILTIN_SELECTORS, ...user])];
  const base = `_domainkey.${ctx.domain}`;
  const mailing = sendsMail(ctx);
  const { asked, answers, probe, discovery } = await discover(ctx, base, tried, user, mode);
  // Only a wildcard that looks like a key matters: any other TXT is not taken for a key anyway.
  const probeTexts = probe ? texts(probe) : [];
  const wildcardTexts = probeTexts.filter(looksLikeKey);
  const facts: DkimFacts = {
    status: 'absent',
    tried: asked,
    answered: [],
    failed: [],
    userSelectors: [...userSelectors],
    wildcardProbe: WILDCARD_PROBE,
    wildcard: wildcardTexts.length > 0,
    wildcardSelectors: [],
    keys: [],
    problems: [],
    sendsMail: await mailing,
    name: base,
    discovery,
    triedCount: asked.length,
  };
  if (facts.wildcard) {
    const origin = probe?.origins?.[probeTexts.indexOf(wildcardTexts[0]!)];
    facts.wildcardRecord = { name: `*.${base}`, text: wildcardTexts.join(' | ') };
    if (origin) facts.wildcardRecord.origin = origin;
  }
  asked.forEach((selector, i) => {
    const answer = answers[i]!;
    if (answer.status === 'error') {
      facts.failed.push(selector);
      return;
    }
    const own = texts(answer);
    if (!own.length) return;
    if (facts.wildcard && own.length === wildcardTexts.length && own.every((t) => wildcardTexts.includes(t))) {
      facts.wildcardSelectors.push(selector);
      return;
    }
    const keyIndexes = answer.records.map((c, j) => (looksLikeKey(c.join('')) ? j : -1)).filter((j) => j >= 0);
    if (!keyIndexes.length) return;
    facts.answered.push(selector);
    const name = `${selector}.${base}`;
    for (const j of keyIndexes) {
      const { key, problems } = parseKeyRecord(selector, name, answer.records[j]!, answer.origins?.[j]);
      facts.keys.push(key);
      facts.problems.push(...problems);
    }
    if (keyIndexes.length > 1) {
      const origin = answer.origins?.[keyIndexes[1]!];
      const reason = `${keyIndexes.length} key records at one selector: verifiers use one of them at random`;
      facts.problems.push(origin ? { selector, name, tag: '', reason, kind: 'syntax', origin } : { selector, name, tag: '', reason, kind: 'syntax' });
    }
  });
  if (probe?.status === 'error') facts.failed.push(WILDCARD_PROBE);
  facts.status = facts.answered.length ? 'found' : facts.failed.length ? 'undetermined' : 'absent';
  return facts;
}
