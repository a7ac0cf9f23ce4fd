import type { DmarcEffectiveFact, DmarcFacts } from '../facts/index.js';
import { CONTINUED, labelled } from './text-layout.js';

const mailbox = (uri: string) => uri.replace(/^mailto:/i, '').replace(/![0-9]+[kmgt]?$/i, '');

/** The effective policy in words: "reject for the domain, none for its subdomains; reports to …". */
export function describeDmarcPolicy(domain: string, e: DmarcEffectiveFact): string {
  const parts: string[] = [];
  if (e.inherited) {
    const from = e.fromPsd ? `the public suffix ${e.policyDomain}` : e.policyDomain;
    parts.push(`${e.policy} for ${domain} (${e.appliedTag}= of ${from})`);
  } else {
    parts.push(`${e.policy} for the domain`);
    if (e.subdomainPolicy) parts.push(`${e.subdomainPolicy} for its subdomains`);
    if (e.nonexistentPolicy && e.nonexistentPolicy !== e.subdomainPolicy) parts.push(`${e.nonexistentPolicy} for its non-existent subdomains`);
  }
  if (e.policyDefaulted) parts.push(`applied as p=none: the record ${e.policyDefaultedReason ?? 'has no usable p'}`);
  if (e.pct !== undefined && e.pct < 100) parts.push(`on ${e.pct}% of failing mail at RFC 7489 receivers`);
  if (e.testing) {
    const lowered = e.publishedPolicy !== undefined && e.publishedPolicy !== e.policy;
    parts.push(lowered ? `testing (t=y): ${e.appliedTag}=${e.publishedPolicy} is applied one level less` : 'testing (t=y)');
  }
  const reports = e.rua.length ? `reports to ${e.rua.map(mailbox).join(', ')}` : 'no aggregate reports';
  return `${parts.join(', ')}; ${reports}`;
}

/** The DMARC lines of a domain's record summary. */
export function dmarcTextLines(domain: string, dmarc: DmarcFacts | undefined): string[] {
  if (!dmarc) return [];
  const lines: string[] = [];
  if (dmarc.records.length) lines.push(labelled('DMARC', dmarc.records.map((r) => r.text).join(' | ')));
  else if (dmarc.status === 'undetermined') lines.push(labelled('DMARC', 'undetermined (lookup failed)'));
  else if (dmarc.inheritedRecord) lines.push(labelled('DMARC', `none at ${dmarc.name}; found ${dmarc.inheritedRecord.name}: ${dmarc.inheritedRecord.text}`));
  else lines.push(labelled('DMARC', 'none'));
  if (dmarc.effective) lines.push(`${CONTINUED}policy: ${describeDmarcPolicy(domain, dmarc.effective)}`);
  else if (dmarc.count > 1) lines.push(`${CONTINUED}policy: none applies (several records are discarded)`);
  else if (dmarc.multipleRecords?.length && dmarc.status !== 'undetermined') lines.push(`${CONTINUED}policy: none applies (several records at ${dmarc.multipleRecords.map((m) => m.name).join(', ')} are discarded)`);
  if (dmarc.organizationalDomain && dmarc.organizationalDomain !== domain) lines.push(`${CONTINUED}organizational domain: ${dmarc.organizationalDomain} (DNS tree walk)`);
  return lines;
}
