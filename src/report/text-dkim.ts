import type { DkimFacts, DkimKeyFact } from '../facts/index.js';
import { CONTINUED, labelled } from './text-layout.js';

function flagsOf(key: DkimKeyFact): string {
  const flags: string[] = [];
  if (key.revoked) flags.push('revoked');
  if (key.testing) flags.push('testing (t=y)');
  if (key.strictIdentity) flags.push('t=s');
  if (key.sha1Allowed) flags.push('sha1 allowed');
  if (key.encoding === 'pkcs1') flags.push('PKCS#1');
  if (!key.valid && !key.revoked) flags.push('unusable');
  return flags.join(', ');
}

/** The DKIM lines of a domain's record summary: what was tried, then the keys found as a small table. */
export function dkimTextLines(dkim: DkimFacts | undefined): string[] {
  if (!dkim) return [];
  const tried = dkim.tried.length ? `${dkim.tried.length} selectors tried` : 'no selector asked';
  const wildcard = dkim.wildcard ? ', wildcard under _domainkey set aside' : '';
  if (!dkim.keys.length) {
    const what =
      dkim.status === 'undetermined' ? 'undetermined (lookups failed)' : dkim.sendsMail ? 'no key found' : 'no key (none needed: the domain sends no mail)';
    return [labelled('DKIM', `${what} (${tried}${wildcard})`)];
  }
  const rows = dkim.keys.map((k) => [k.selector, k.keyType, k.bits === undefined ? '-' : String(k.bits), flagsOf(k)]);
  const head = ['selector', 'type', 'bits', 'flags'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const count = `${dkim.keys.length} key${dkim.keys.length === 1 ? '' : 's'}`;
  return [labelled('DKIM', `${count} found (${tried}${wildcard})`), `${CONTINUED}${line(head)}`, ...rows.map((r) => `${CONTINUED}${line(r)}`)];
}
