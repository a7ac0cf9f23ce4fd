import { isIP } from 'node:net';
import { reverseName } from '../dns/reverse.js';
import type { MxFacts } from '../facts/index.js';
import type { SmtpAddressFact, SmtpFacts, SmtpProbeFact, SubmissionEndpointFact, SubmissionFacts } from '../facts/smtp.js';
import { MAX_MX_PROBED, type SmtpProbeSettings, type SmtpProber } from '../probe/prober.js';
import type { ProbeTarget } from '../probe/smtp.js';
import type { CollectContext } from './context.js';
import { addressesOf } from './mx.js';

export interface SmtpCollectOptions {
  prober: SmtpProber;
  port: number;
}

/** `host:port`, with brackets for an IPv6 address. */
export const endpointOf = (host: string, port: number) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

const tlsLabel = (version: string) => version.replace(/^TLSv1$/, 'TLS 1.0').replace(/^TLSv/, 'TLS ');
const day = (iso: string) => iso.slice(0, 10);

/** One line saying how the conversation went: "STARTTLS, TLS 1.3, certificate valid for mx1.example.com until 2027-03-01". */
export function verdictOf(p: SmtpProbeFact): string {
  const by = p.failedReply ? `: ${p.failedReply.code} ${p.failedReply.lines[0] ?? ''}`.trimEnd() : p.error ? ` (${p.error})` : '';
  switch (p.outcome) {
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
        : `certificate valid for ${p.host} until ${day(t.notAfter ?? '')}`;
      return `${how}, ${tlsLabel(t.version)}, ${cert}`;
    }
  }
}

/** The hosts a sender would try, in preference order: MX targets, or the domain itself when there is no MX. */
function targetsOf(domain: string, mx: MxFacts): { host: string; preference: number; addresses: string[]; implicit?: boolean }[] {
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

/** Bounds a domain's probe: conversations still running at the deadline are reported as such. */
function withDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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
  const jobs = targetsOf(ctx.domain, mx).flatMap((t) =>
    t.addresses.map((address) => ({ ...t, address })),
  );
  const facts: SmtpFacts = { status: jobs.length ? 'probed' : 'none', port, addresses: [] };
  const deadlineMs = prober.domainDeadlineMs;
  facts.addresses = await Promise.all(
    jobs.map(async (job) => {
      const target: ProbeTarget = { host: job.host, address: job.address, port, mode: 'starttls' };
      const probed = await withDeadline(prober.probe(target), deadlineMs, () => ({
        ...target,
        outcome: 'skipped' as const,
        error: 'EDEADLINE',
        failedStep: 'deadline',
      }));
      const fact: SmtpAddressFact = { ...probed, preference: job.preference, endpoint: endpointOf(job.host, port), verdict: '' };
      if (job.implicit) fact.implicit = true;
      await checkGreetingHost(ctx, fact);
      fact.verdict = verdictOf(fact);
      return fact;
    }),
  );
  return facts;
}

/** Submission ports of `host` (RFC 8314 §3: 465 implicit TLS; RFC 6409 + RFC 3207: 587 with STARTTLS). */
export async function collectSubmission(
  ctx: CollectContext,
  host: string,
  prober: SmtpProber,
  ports: { implicitTls: number; starttls: number } = { implicitTls: 465, starttls: 587 },
): Promise<SubmissionFacts> {
  const resolved = isIP(host) ? { addresses: [host], status: 'found' as const } : await addressesOf(ctx, host);
  const facts: SubmissionFacts = { host, addressStatus: resolved.status, endpoints: [], tlsEndpoints: 0 };
  const targets: ProbeTarget[] = resolved.addresses.flatMap((address) => [
    { host, address, port: ports.implicitTls, mode: 'implicit-tls' as const },
    { host, address, port: ports.starttls, mode: 'starttls' as const },
  ]);
  facts.endpoints = await Promise.all(
    targets.map(async (target) => {
      const probed = await withDeadline(prober.probe(target), prober.domainDeadlineMs, () => ({
        ...target,
        outcome: 'skipped' as const,
        error: 'EDEADLINE',
        failedStep: 'deadline',
      }));
      const fact: SubmissionEndpointFact = { ...probed, endpoint: endpointOf(host, target.port), verdict: '' };
      fact.verdict = verdictOf(fact);
      return fact;
    }),
  );
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
    probe.mx ? collectSmtp(ctx, mx, { prober: probe.prober, port: probe.port }) : undefined,
    probe.submission ? collectSubmission(ctx, probe.submission, probe.prober, probe.submissionPorts) : undefined,
  ]);
  return { ...(smtp && { smtp }), ...(submission && { submission }) };
}
