import type { BounceExplanation } from './explain.js';
import { bounceSources } from './explain.js';

const AUDIT_WHAT: Record<string, string> = {
  SPF: 'SPF: the TXT record at the envelope sender\'s domain lists every server that sends for it',
  DKIM: 'DKIM: every sending service signs with a key published under <selector>._domainkey',
  DMARC: 'DMARC: _dmarc.<domain> exists, and SPF or DKIM passes for the From domain itself (alignment)',
  PTR: 'PTR: the sending IP address has a reverse name that resolves back to it',
  MX: 'MX: the sender\'s domain does not publish a null MX',
};

/** `mailaudit bounce` as text: what the codes mean, what the receiver says, what to audit. */
export function renderBounceText(e: BounceExplanation): string {
  const lines: string[] = [];
  if (!e.replyCode && !e.statusCode) {
    lines.push('No SMTP reply code (such as 550) or enhanced status code (such as 5.7.26) found in the text.');
  }
  if (e.replyCode) {
    const when = e.severity === 'transient' ? 'transient: the sending server keeps the message and retries' : e.severity === 'permanent' ? 'permanent: the message bounced' : 'success';
    lines.push(`Reply code    ${e.replyCode}  ${when}`);
    if (e.reply) lines.push(`              ${e.reply.meaning} (${e.reply.reference})`);
    else if (e.replyClass) lines.push(`              ${e.replyClass.meaning} (${e.replyClass.reference})`);
  }
  if (e.statusCode) {
    lines.push(`Status code   ${e.statusCode}  ${[e.statusClass?.meaning, e.statusSubject?.meaning].filter(Boolean).join('; ')} (RFC 3463)`);
    lines.push(e.status ? `              ${e.status.meaning} (${e.status.reference}; IANA registry)` : '              not in the IANA registry: a code of the receiver\'s own');
  }
  if (e.provider) lines.push(`Receiver      ${e.provider.name}: ${e.provider.meaning}`, `              (wording from ${e.provider.source})`);
  if (e.audit.length) {
    lines.push(`Audit         ${e.domain ? `the records of ${e.domain}` : "the sender's domain (the domain in the From address and the envelope sender)"}:`);
    for (const a of e.audit) lines.push(`              - ${AUDIT_WHAT[a] ?? a}`);
    lines.push(`Run           ${e.command}`);
  }
  const { checked } = bounceSources();
  lines.push(`(codes: RFC 5321 §4.2, RFC 3463 and the IANA SMTP enhanced status codes registry; table checked ${checked})`);
  return `${lines.join('\n')}\n`;
}
