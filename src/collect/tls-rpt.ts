import type { MxFacts, SyntaxProblem, TlsRptFacts, TxtRecordFact } from '../facts/index.js';
import type { CollectContext } from './context.js';
import { txtProblem, txtRecordsAt } from './txt.js';

/** RFC 8460 §3: records not starting with v=TLSRPTv1 are discarded (matched loosely, checked strictly below). */
export const TLSRPT_MARKER = /^\s*v\s*=\s*TLSRPTv1\s*(?:;|$)/i;

const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const MAILTO = /^mailto:[^@\s,;!]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/i;

function uriProblem(uri: string): string | undefined {
  if (/^mailto:/i.test(uri)) return MAILTO.test(uri) ? undefined : `rua ${JSON.stringify(uri)} is not a valid mailto: address`;
  if (/^https:/i.test(uri)) {
    try {
      const url = new URL(uri);
      return url.hostname ? undefined : `rua ${JSON.stringify(uri)} has no host`;
    } catch {
      return `rua ${JSON.stringify(uri)} is not a valid https: URI`;
    }
  }
  return `rua ${JSON.stringify(uri)} must be a mailto: or https: URI`;
}

/** Checks a `_smtp._tls` TXT record against RFC 8460 §3; returns its report URIs and the problems. */
export function parseTlsRptRecord(text: string): { rua: string[]; problems: string[] } {
  const problems: string[] = [];
  const fields = text.split(';').map((f) => f.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  if (fields[0] !== 'v=TLSRPTv1') problems.push(`the record must start with "v=TLSRPTv1", found ${JSON.stringify(fields[0] ?? '')}`);
  let rua: string[] | undefined;
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const name = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (name === 'rua') {
      if (rua) {
        problems.push('the rua field appears more than once');
        continue;
      }
      rua = value.split(',').map((u) => u.trim()).filter((u) => u !== '');
      if (rua.length === 0) problems.push('rua is empty');
      for (const uri of rua) {
        const p = uriProblem(uri);
        if (p) problems.push(p);
      }
    } else if (eq < 0 || !EXT_NAME.test(name) || value === '') {
      problems.push(`field ${JSON.stringify(field)} is not name=value`);
    }
  }
  if (!rua) problems.push('the rua field is missing: reports have nowhere to go');
  return { rua: rua ?? [], problems };
}

/** The TLS-RPT record at `_smtp._tls.<domain>` (RFC 8460). */
export async function collectTlsRpt(ctx: CollectContext, mxFacts: Promise<MxFacts>): Promise<TlsRptFacts> {
  const name = `_smtp._tls.${ctx.domain}`;
  const { status, records } = await txtRecordsAt(ctx, name, TLSRPT_MARKER);
  const facts: TlsRptFacts = { status, name, records, count: records.length, rua: [], errors: [], applicable: true };
  if (records[0]?.origin) facts.origin = records[0].origin;
  const problem = (message: string, record?: TxtRecordFact) => txtProblem(name, message, record);
  if (records.length > 1) facts.errors.push(problem(`${records.length} v=TLSRPTv1 records are published: senders use none unless there is exactly one`, records[1]));
  for (const record of records) {
    const parsed = parseTlsRptRecord(record.text);
    if (records.length === 1) facts.rua = parsed.rua;
    for (const message of parsed.problems) facts.errors.push(problem(message, record));
  }
  const mx = await mxFacts;
  // A null MX needs no TLS-RPT; with the MX lookup failed, whether it does is undetermined.
  facts.applicable = !mx.nullMx && mx.status !== 'undetermined';
  return facts;
}
