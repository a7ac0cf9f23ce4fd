import { isIP } from 'node:net';
import { reverseName } from '../dns/reverse.js';
import type { MxFacts } from '../facts/index.js';
import type { NotProbedFact, SmtpAddressFact, SmtpFacts, SmtpProbeFact, SubmissionEndpointFact, SubmissionFacts } from '../facts/smtp.js';
import { DEFAULT_CERT_EXPIRY_DAYS, MAX_ADDRESSES_PER_HOST, MAX_MX_PROBED, type SmtpProbeSettings, type SmtpProber } from '../probe/prober.js';
import type { ProbeTarget } from '../probe/smtp.js';
import { judgeSoftware } from '../probe/software.js';
import type { CollectContext } from './context.js';
import { addressesOf } from './mx.js';

export interface SmtpCollectOptions {
  prober: SmtpProber;
  port: number;
  /** `--cert-expiry-days` (default 14). */
  certExpiryDays?: number;
}

const DAY_MS = 86_400_000;

/** Days left on the leaf certificate and whether that is within `days` (judged per domain run, not cached). */
export function markExpiry(p: SmtpProbeFact, days: number, now = Date.now()): void {
  const t = p.tls;
  if (!t?.notAfter) return;
  const left = (Date.parse(t.notAfter) - now) / DAY_MS;
  t.daysLeft = Math.floor(left);
  t.expiresSoon = t.validity === 'valid' && left < days;
}

/** `host:port`, with brackets for an IPv6 address. */
export const endpointOf = (host: string, port: number) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

const tlsLabel = (version: string) => version.replace(/^TLSv1$/, 'TLS 1.0').replace(/^TLSv/, 'TLS ');
const day = (iso: string) => iso.slice(0, 10);

/** One line saying how the conversation went: "STARTTLS, TLS 1.3, certificate valid for mx1.example.com until 2027-03-01". */
export function verdictOf(p: SmtpProbeFact): string {
  const by = p.failedReply ? `: ${p.failedReply.code} ${p.failedReply.lines[0] ?? ''}`.trimEnd() : p.error ? ` (${p.error})` : '';
  const shared = p.sameAddressAs ? ` (as for ${p.sameAddressAs}: not connected again)` : '';
  return verdictCore(p, by) + shared;
}

function verdictCore(p: SmtpProbeFact, by: string): string {
  switch (p.outcome) {
    case 'undetermined':
      return p.notHeld === 'queued'
        ? `undetermined: not probed, still queued behind other conversations with ${p.address} at the domain's probe deadline (${p.deadlineMs} ms)`
        : `undetermined: the conversation was still running at the domain's probe deadline (${p.deadlineMs} ms)`;
    case 'greeting-refused': {
      const r = p.failedReply!;
      const retry = p.retriedAfterMs !== undefined ? `, again after a retry ${p.retriedAfterMs} ms later` : '';
      return `greeting ${r.code === 421 ? 'deferred' : 'refused'}: ${`${r.code} ${r.lines[0] ?? ''}`.trimEnd()}${retry}`;
    }
    case 'skipped':
      return `skipped: no route to ${p.address}${p.error ? ` (${p.error})` : ''}`;
    case 'unreachable':
      return `unreachable${by}`;
    case 'no-banner':
      return p.greeting ? `greeting refused${by}` : `no greeting${by}`;
    case 'ehlo-failed':
      return `EHLO failed${by}`;
    case 'no-starttls':
      return 'no STARTTLS: mail arrives in plaintext';
    case 'tls-failed':
      return p.failedStep === 'starttls' ? `STARTTLS refused${by}` : `TLS handshake failed${by}`;
    case 'tls': {
      const t = p.tls!;
      const how = p.mode === 'implicit-tls' ? 'implicit TLS' : 'STARTTLS';
      const problems = [
        t.validity !== 'valid' ? (t.validity === 'expired' ? `expired ${day(t.notAfter ?? '')}` : 'not yet valid') : '',
        t.trusted ? '' : `untrusted (${t.trustError ?? t.verifyError ?? 'unknown'})`,
        t.nameMatches ? '' : `not valid for ${p.host}`,
      ].filter(Boolean);
      const cert = problems.length
        ? `certificate ${problems.join(', ')}`
        : `certificate valid for ${p.host} until ${day(t.notAfter ?? '')}${t.expiresSoon ? ` (expires in ${t.daysLeft} days)` : ''}`;
      return `${how}, ${tlsLabel(t.version)}, ${cert}`;
    }
  }
}

/** The hosts a sender would try, in preference order: MX targets, or the domain itself when there is no MX. */
type HostTarget = { host: string; preference: number; addresses: string[]; implicit?: boolean };

function targetsOf(domain: string, mx: MxFacts): HostTarget[] {
  if (mx.status === 'absent' && mx.implicitAddresses?.length) {
    return [{ host: domain, preference: 0, addresses: mx.implicitAddresses, implicit: true }];
  }
  if (mx.status !== 'found') return [];
  const seen = new Set<string>();
  const hosts = [];
  for (const h of mx.hosts) {
    if (h.isNull || h.ipLiteral || seen.has(h.exchange)) continue;
    seen.add(h.exchange);
    hosts.push({ host: h.exchange, preference: h.preference, addresses: h.addresses });
  }
  return hosts.slice(0, MAX_MX_PROBED);
}

/** At most MAX_ADDRESSES_PER_HOST addresses of each host; the rest are listed as not probed. */
function boundAddresses(hosts: HostTarget[]): { kept: HostTarget[]; notProbed: NotProbedFact[] } {
  const notProbed: NotProbedFact[] = [];
  const kept = hosts.map((h) => {
    if (h.addresses.length <= MAX_ADDRESSES_PER_HOST) return h;
    const left = h.addresses.slice(MAX_ADDRESSES_PER_HOST);
    notProbed.push({ host: h.host, total: h.addresses.length, probed: MAX_ADDRESSES_PER_HOST, addresses: left.slice(0, 10), count: left.length });
    return { ...h, addresses: h.addresses.slice(0, MAX_ADDRESSES_PER_HOST) };
  });
  return { kept, notProbed };
}

/**
 * Runs `work` with a signal that aborts after the domain's probe deadline: conversations not over by
 * then are reported undetermined, and those no other domain waits for are cancelled.
 */
async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ms);
  try {
    return await work(deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the greeting names the MX host or one of the address's PTR names (RFC 5321 §4.3.1). */
async function checkGreetingHost(ctx: CollectContext, fact: SmtpAddressFact): Promise<void> {
  if (!fact.greetingHost || fact.greeting?.code !== 220) return;
  if (sameName(fact.greetingHost, fact.host)) {
    fact.greetingHostMatches = true;
    return;
  }
  const answer = await ctx.dns.resolve(reverseName(fact.address), 'PTR');
  if (answer.status === 'error') return; // undetermined: dns-lookup-failed says so
  fact.ptr = answer.records;
  fact.greetingHostMatches = answer.records.some((name) => sameName(name, fact.greetingHost!));
}

/** The live probe of every MX address of the domain (RFC 5321, RFC 3207). Runs after the MX facts exist. */
export async function collectSmtp(ctx: CollectContext, mx: MxFacts, options: SmtpCollectOptions): Promise<SmtpFacts> {
  const { prober, port } = options;
  const { kept, notProbed } = boundAddresses(targetsOf(ctx.domain, mx));
  const jobs = kept.flatMap((t) => t.addresses.map((address) => ({ ...t, address })));
  const facts: SmtpFacts = { status: jobs.length ? 'probed' : 'none', port, addresses: [] };
  if (notProbed.length) {
    facts.notProbed = notProbed;
    facts.notProbedCount = notProbed.reduce((n, h) => n + h.count, 0);
    facts.notProbedHosts = notProbed.map((h) => `${h.host}: ${h.count} of ${h.total}`);
  }
  const probed = await withDeadline(prober.domainDeadlineMs, (signal) =>
    Promise.all(jobs.map((job) => prober.probe({ host: job.host, address: job.address, port, mode: 'starttls' }, signal))),
  );
  facts.addresses = await Promise.all(
    jobs.map(async (job, i) => {
      markExpiry(probed[i]!, options.certExpiryDays ?? DEFAULT_CERT_EXPIRY_DAYS);
      judgeSoftware(probed[i]!);
      const fact: SmtpAddressFact = { ...probed[i]!, preference: job.preference, endpoint: endpointOf(job.host, port), verdict: '' };
      if (job.implicit) fact.implicit = true;
      await checkGreetingHost(ctx, fact);
      fact.verdict = verdictOf(fact);
      return fact;
    }),
  );
  return facts;
}

/** CRAM-MD5 (RFC 2195: the server keeps the password, or an equivalent, recoverable) and DIGEST-MD5 (Historic, RFC 6331). */
const WEAK_AUTH = new Set(['CRAM-MD5', 'DIGEST-MD5']);
const TOKEN_AUTH = new Set(['OAUTHBEARER', 'XOAUTH2']);

/** What the AUTH line of a submission port says (read from EHLO: the probe never sends AUTH). */
function judgeAuth(fact: SubmissionEndpointFact): void {
  const offered = [...new Set([...(fact.authBeforeTls ?? []), ...(fact.authAfterTls ?? [])])];
  const weak = offered.filter((m) => WEAK_AUTH.has(m));
  if (weak.length) fact.weakAuth = weak;
  const token = offered.filter((m) => TOKEN_AUTH.has(m));
  if (token.length) fact.tokenAuth = token;
  if (fact.outcome === 'tls' && fact.ehloTls && !fact.authAfterTls) fact.noAuthAfterTls = true;
}

/** Submission ports of `host` (RFC 8314 §3: 465 implicit TLS; RFC 6409 + RFC 3207: 587 with STARTTLS). */
export async function collectSubmission(
  ctx: CollectContext,
  host: string,
  prober: SmtpProber,
  ports: { implicitTls: number; starttls: number } = { implicitTls: 465, starttls: 587 },
  certExpiryDays = DEFAULT_CERT_EXPIRY_DAYS,
): Promise<SubmissionFacts> {
  const resolved = isIP(host) ? { addresses: [host], status: 'found' as const } : await addressesOf(ctx, host);
  const facts: SubmissionFacts = { host, addressStatus: resolved.status, endpoints: [], tlsEndpoints: 0 };
  if (resolved.addresses.length > MAX_ADDRESSES_PER_HOST) facts.addressesNotProbed = resolved.addresses.length - MAX_ADDRESSES_PER_HOST;
  const targets: ProbeTarget[] = resolved.addresses.slice(0, MAX_ADDRESSES_PER_HOST).flatMap((address) => [
    { host, address, port: ports.implicitTls, mode: 'implicit-tls' as const },
    { host, address, port: ports.starttls, mode: 'starttls' as const },
  ]);
  const probed = await withDeadline(prober.domainDeadlineMs, (signal) => Promise.all(targets.map((target) => prober.probe(target, signal))));
  facts.endpoints = targets.map((target, i) => {
    markExpiry(probed[i]!, certExpiryDays);
    judgeSoftware(probed[i]!);
    const fact: SubmissionEndpointFact = { ...probed[i]!, endpoint: endpointOf(host, target.port), verdict: '' };
    judgeAuth(fact);
    fact.verdict = verdictOf(fact);
    return fact;
  });
  facts.tlsEndpoints = facts.endpoints.filter((e) => e.outcome === 'tls').length;
  return facts;
}

/** The probe stage of a domain: the MX probe and the submission probe, as the run's settings ask. */
export async function collectProbes(
  ctx: CollectContext,
  mx: MxFacts,
  probe: SmtpProbeSettings | undefined,
): Promise<{ smtp?: SmtpFacts; submission?: SubmissionFacts }> {
  if (!probe) return {};
  const [smtp, submission] = await Promise.all([
    probe.mx ? collectSmtp(ctx, mx, { prober: probe.prober, port: probe.port, certExpiryDays: probe.certExpiryDays }) : undefined,
    probe.submission ? collectSubmission(ctx, probe.submission, probe.prober, probe.submissionPorts, probe.certExpiryDays) : undefined,
  ]);
  return { ...(smtp && { smtp }), ...(submission && { submission }) };
}
