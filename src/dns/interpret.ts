import type dnsPacket from 'dns-packet';
import { canonicalName } from './client.js';
import type { RawAnswer } from './raw.js';
import type { DnsAnswer, RRType, RecordDataByType } from './types.js';

/**
 * What a raw answer says about one question (issue 12.8, 12.9). Only records owned by the name asked,
 * or by the target of a CNAME chain that starts at it in the same answer, are believed: a server (or
 * a spoofer) answering `TXT poison.example?` with `victim.example TXT …` does not put words in
 * victim.example's mouth. An answer with records but none usable (another owner, another type than
 * asked) is broken, not empty: status `error` (EBADRESP), so that it never reads as "missing".
 */

/** Longest CNAME chain followed inside one answer (c-ares and most resolvers stop near here). */
const MAX_CHAIN = 16;

/** Response codes other than NOERROR/NXDOMAIN, with the codes c-ares gives them. */
const RCODE_ERRORS: Record<string, string> = { SERVFAIL: 'ESERVFAIL', REFUSED: 'EREFUSED', NOTIMP: 'ENOTIMP', FORMERR: 'EFORMERR' };

/** Types that may stand beside the records asked for without making the answer suspect. */
const COMPANIONS = new Set(['RRSIG', 'DNAME', 'CNAME']);

const strip = (name: string): string => canonicalName(name === '.' ? '' : name);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** TXT bytes: read as UTF-8 where they are, else one character per byte (as c-ares did). */
function text(bytes: Buffer): string {
  let ascii = true;
  for (const b of bytes) if (b > 0x7f) ascii = false;
  if (ascii) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Character-strings of TXT-format rdata that dns-packet does not decode (SPF, type 99). */
function strings(rdata: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < rdata.length; ) {
    const len = rdata[i]!;
    out.push(text(rdata.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return out;
}

type Converter = (data: unknown) => RecordDataByType[RRType] | undefined;

const CONVERT: Record<RRType, Converter> = {
  A: (d) => (typeof d === 'string' ? d : undefined),
  AAAA: (d) => (typeof d === 'string' ? d : undefined),
  MX: (d) => {
    const m = d as { preference?: number; exchange?: string };
    return typeof m?.exchange === 'string' ? { preference: m.preference ?? 0, exchange: strip(m.exchange) } : undefined;
  },
  TXT: (d) => (Array.isArray(d) ? d.map((c) => (Buffer.isBuffer(c) ? text(c) : String(c))) : Buffer.isBuffer(d) ? [text(d)] : undefined),
  SPF: (d) => (Buffer.isBuffer(d) ? strings(d) : undefined),
  CNAME: (d) => (typeof d === 'string' ? strip(d) : undefined),
  NS: (d) => (typeof d === 'string' ? strip(d) : undefined),
  PTR: (d) => (typeof d === 'string' ? strip(d) : undefined),
  SOA: (d) => {
    const s = d as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
    return s && typeof s.mname === 'string'
      ? {
          mname: strip(s.mname),
          rname: strip(s.rname),
          serial: s.serial ?? 0,
          refresh: s.refresh ?? 0,
          retry: s.retry ?? 0,
          expire: s.expire ?? 0,
          minimum: s.minimum ?? 0,
        }
      : undefined;
  },
  TLSA: (d) => {
    const t = d as { usage: number; selector: number; matchingType: number; certificate: Buffer };
    return t && Buffer.isBuffer(t.certificate)
      ? { usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: t.certificate.toString('hex') }
      : undefined;
  },
  CAA: (d) => {
    const c = d as { flags: number; tag: string; value: string };
    return c && typeof c.tag === 'string' ? { flags: c.flags, tag: c.tag, value: c.value } : undefined;
  },
  SRV: (d) => {
    const s = d as { priority: number; weight: number; port: number; target: string };
    return s && typeof s.target === 'string' ? { priority: s.priority, weight: s.weight, port: s.port, target: strip(s.target) } : undefined;
  },
};

/** The names an answer speaks for: the name asked and the CNAME chain from it found in the answer. */
function chainOf(answers: readonly dnsPacket.Answer[], name: string, type: string): string[] {
  const chain = [name];
  if (type === 'CNAME') return chain;
  for (let current = name; chain.length <= MAX_CHAIN; ) {
    const link = answers.find((a) => a.type === 'CNAME' && strip(a.name) === current);
    if (!link || typeof link.data !== 'string') break;
    const target = strip(link.data);
    if (chain.includes(target)) break;
    chain.push(target);
    current = target;
  }
  return chain;
}

/** Reads a raw answer for the question (name, type) as a DnsAnswer. */
export function interpret<T extends RRType>(name: string, type: T, raw: RawAnswer): DnsAnswer<T> {
  const base = { name, type, records: [] as RecordDataByType[T][], source: 'dns' as const };
  if (raw.rcode === 'NXDOMAIN') return { ...base, status: 'nxdomain' };
  if (raw.rcode !== 'NOERROR') return { ...base, status: 'error', error: RCODE_ERRORS[raw.rcode] ?? `E${raw.rcode}` };
  const asked = strip(name);
  const chain = chainOf(raw.answers, asked, type);
  const end = chain[chain.length - 1]!;
  const convert = CONVERT[type];
  const records: RecordDataByType[T][] = [];
  let suspect = false;
  for (const a of raw.answers) {
    const owner = strip(a.name);
    if (a.type === type && owner === end) {
      const data = convert((a as { data?: unknown }).data);
      if (data === undefined) suspect = true;
      else records.push(data as RecordDataByType[T]);
    } else if (!(COMPANIONS.has(a.type) && chain.includes(owner)) && a.type !== 'DNAME') {
      suspect = true;
    }
  }
  if (records.length) return { ...base, records, status: 'ok' };
  if (suspect) return { ...base, status: 'error', error: 'EBADRESP' };
  return { ...base, status: 'nodata' };
}
