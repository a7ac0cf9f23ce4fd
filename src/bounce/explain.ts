/**
 * `mailaudit bounce`: explains an SMTP reply from a bounce message (RFC 5321 §4.2 reply codes,
 * RFC 3463 enhanced status codes and the IANA registry), recognises the big receivers' wording for
 * authentication failures, and names the records to audit. Every meaning comes from
 * data/bounce-codes.json, which names its sources.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

type Audit = 'SPF' | 'DKIM' | 'DMARC' | 'PTR' | 'MX';

interface Meaning {
  digit?: string;
  code?: string;
  meaning: string;
  reference: string;
  audit?: Audit[];
}

interface Wording {
  match: string;
  meaning: string;
  audit: Audit[];
  domain?: string;
}

interface Provider {
  id: string;
  name: string;
  hint: string;
  source: string;
  wording: Wording[];
}

interface CodeTable {
  sources: Record<string, string>;
  checked: string;
  replyClasses: Meaning[];
  replyCodes: Meaning[];
  statusClasses: Meaning[];
  statusSubjects: Meaning[];
  statusCodes: Meaning[];
  providers: Provider[];
}

export const BOUNCE_CODES_FILE = join(PACKAGE_ROOT, 'data', 'bounce-codes.json');
/** A bounce longer than this is cut: the reply is at its start. */
export const MAX_BOUNCE_CHARS = 64 * 1024;

let table: CodeTable | undefined;
const codes = (): CodeTable => (table ??= JSON.parse(readFileSync(BOUNCE_CODES_FILE, 'utf8')) as CodeTable);

export interface BounceExplanation {
  /** The reply code (RFC 5321 §4.2), when the text has one. */
  replyCode?: string;
  /** "transient" (4xx: the sender retries) or "permanent" (5xx: it bounced). */
  severity?: 'transient' | 'permanent' | 'success';
  replyClass?: { meaning: string; reference: string };
  reply?: { meaning: string; reference: string };
  /** The enhanced status code (RFC 3463), when the text has one. */
  statusCode?: string;
  statusClass?: { meaning: string; reference: string };
  statusSubject?: { meaning: string; reference: string };
  /** The registered meaning of the whole code (IANA registry), when it is registered. */
  status?: { meaning: string; reference: string };
  /** The receiver recognised from the wording. */
  provider?: { id: string; name: string; meaning: string; source: string };
  /** The records to audit, in order. */
  audit: Audit[];
  /** The sender's domain named in the text, when a provider's wording gives it. */
  domain?: string;
  /** `mailaudit <domain>`, or with a placeholder when the domain is not in the text. */
  command?: string;
  /** The reply text, its continuation prefixes removed. */
  text: string;
}

/** Joins a multi-line reply ("550-5.7.26 a" / "550 5.7.26 b") into one text, codes kept once. */
export function unfoldReply(raw: string): string {
  const text = raw.slice(0, MAX_BOUNCE_CHARS).replace(/\r/g, '');
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const out: string[] = [];
  let prefix: string | undefined;
  for (const line of lines) {
    const m = /^(\d{3})(?:[- ]|$)(?:([245]\.\d{1,3}\.\d{1,3})(?:\s+|$))?(.*)$/.exec(line);
    if (m && prefix !== undefined && prefix === `${m[1]} ${m[2] ?? ''}`) {
      if (m[3]) out.push(m[3]);
    } else {
      out.push(m ? `${m[1]} ${m[2] ? `${m[2]} ` : ''}${m[3]}` : line);
      if (m) prefix = `${m[1]} ${m[2] ?? ''}`;
    }
  }
  return out.join(' ').replace(/\s+/g, ' ').trim();
}

const pick = (m: Meaning | undefined) => (m ? { meaning: m.meaning, reference: m.reference } : undefined);

/** Explains the reply in `raw` (a bounce's diagnostic line, or the whole bounce). Never throws. */
export function explainBounce(raw: string): BounceExplanation {
  const t = codes();
  const text = unfoldReply(raw);
  const result: BounceExplanation = { audit: [], text };
  // "550 5.7.26", "550-5.7.26", "550, "5.7.26"", "550; 5.7.515", "550 5.7.509:".
  const m = /\b([245]\d\d)(?:[-\s,;:"]+([245]\.\d{1,3}\.\d{1,3}))?(?=[\s:;,"]|$)/.exec(text);
  if (m) {
    result.replyCode = m[1]!;
    const digit = m[1]![0]!;
    result.severity = digit === '2' ? 'success' : digit === '4' ? 'transient' : 'permanent';
    const cls = pick(t.replyClasses.find((c) => c.digit === digit));
    if (cls) result.replyClass = cls;
    const reply = pick(t.replyCodes.find((c) => c.code === m[1]));
    if (reply) result.reply = reply;
  }
  const enhanced = m?.[2] ?? /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
  const audit = new Set<Audit>();
  if (enhanced) {
    result.statusCode = enhanced;
    const [cls, subject] = enhanced.split('.');
    const c = pick(t.statusClasses.find((x) => x.digit === cls));
    if (c) result.statusClass = c;
    const s = pick(t.statusSubjects.find((x) => x.digit === subject));
    if (s) result.statusSubject = s;
    const generic = `X.${enhanced.split('.').slice(1).join('.')}`;
    const registered = t.statusCodes.find((x) => x.code === generic);
    if (registered) {
      result.status = { meaning: registered.meaning, reference: registered.reference };
      for (const a of registered.audit ?? []) audit.add(a);
    }
  }
  for (const provider of t.providers) {
    for (const w of provider.wording) {
      if (!new RegExp(w.match, 'i').test(text)) continue;
      result.provider = { id: provider.id, name: provider.name, meaning: w.meaning, source: provider.source };
      // The provider's wording says what failed better than the generic code.
      audit.clear();
      for (const a of w.audit) audit.add(a);
      const domain = w.domain ? new RegExp(w.domain, 'i').exec(text)?.groups?.domain : undefined;
      if (domain && !/^domain-name$/i.test(domain)) result.domain = domain.toLowerCase().replace(/\.$/, '');
      break;
    }
    if (result.provider) break;
  }
  result.audit = [...audit];
  if (result.audit.length) result.command = `mailaudit ${result.domain ?? '<sender-domain>'}`;
  return result;
}

/** The data file's sources, for the text report's footer. */
export function bounceSources(): { sources: Record<string, string>; checked: string } {
  const t = codes();
  return { sources: t.sources, checked: t.checked };
}
