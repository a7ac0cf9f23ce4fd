import type { SmtpProbeFact } from '../facts/smtp.js';
import type { DomainReport } from '../types.js';
import { CONTINUED, labelled } from './text-layout.js';

const where = (p: SmtpProbeFact) => `${p.host} ${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.port}`;

function probeLines(label: string, d: DomainReport, p: SmtpProbeFact & { endpoint: string; verdict: string }): string[] {
  const lines = [labelled(label, `${where(p)}  ${p.verdict}`)];
  if (p.greeting) lines.push(`${CONTINUED}${p.greeting.code} ${p.greeting.lines[0] ?? ''}`.trimEnd());
  if (p.software?.version) lines.push(`${CONTINUED}software: ${p.software.name} ${p.software.version}`);
  if (label === 'SUBMIT' && p.outcome === 'tls') lines.push(`${CONTINUED}AUTH over TLS: ${p.authAfterTls?.join(' ') ?? 'none offered'}`);
  const ids = d.findings.filter((f) => f.location.name === p.endpoint && f.args.address === p.address).map((f) => f.ruleId);
  if (ids.length) lines.push(`${CONTINUED}findings: ${[...new Set(ids)].join(', ')}`);
  return lines;
}

/** The SMTP probe in the text report: one line per address with its verdict, then the greeting and the findings. */
export function smtpLines(d: DomainReport): string[] {
  const lines: string[] = [];
  const smtp = d.records.smtp;
  if (smtp?.status === 'none') lines.push(labelled('SMTP', `nothing probed (${d.records.mx?.nullMx ? 'null MX' : 'no MX address known'})`));
  for (const a of smtp?.addresses ?? []) lines.push(...probeLines('SMTP', d, a));
  for (const n of smtp?.notProbed ?? []) lines.push(labelled('SMTP', `${n.host}: ${n.count} more addresses not probed (the first ${n.probed} of ${n.total} were)`));
  const sub = d.records.submission;
  if (sub && sub.endpoints.length === 0) lines.push(labelled('SUBMIT', `${sub.host}: ${sub.addressStatus === 'absent' ? 'no address' : 'address lookup failed'}`));
  for (const e of sub?.endpoints ?? []) lines.push(...probeLines('SUBMIT', d, e));
  return lines;
}
