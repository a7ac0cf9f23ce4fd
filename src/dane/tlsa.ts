/**
 * TLSA matching for SMTP (RFC 7672 §3.1, RFC 6698 §2.1): pure functions over DER certificates.
 * Only DANE-TA(2) and DANE-EE(3) are usable for SMTP; PKIX-TA(0) and PKIX-EE(1) are ignored
 * (RFC 7672 §3.1.3), as are unknown selectors and matching types.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaData } from '../dns/types.js';

export interface TlsaMatch {
  matched: boolean;
  /** Index in `records` of the first record that matched. */
  record?: number;
  /** Index in `chain` of the certificate it matched. */
  certificate?: number;
}

/** RFC 7672 §3.1: usage 2 or 3, selector 0 or 1, matching type 0, 1 or 2. */
export function isUsableForSmtp(r: TlsaData): boolean {
  return (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && [0, 1, 2].includes(r.matchingType);
}

/** The bytes a TLSA selector designates: the whole certificate (0) or its SubjectPublicKeyInfo (1). */
export function selectedBytes(der: Buffer, selector: number): Buffer | undefined {
  if (selector === 0) return der;
  if (selector !== 1) return undefined;
  try {
    return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

/** Certificate association data for a matching type: exact (0), SHA-256 (1), SHA-512 (2); lower-case hex. */
export function associationData(bytes: Buffer, matchingType: number): string | undefined {
  if (matchingType === 0) return bytes.toString('hex');
  if (matchingType === 1) return createHash('sha256').update(bytes).digest('hex');
  if (matchingType === 2) return createHash('sha512').update(bytes).digest('hex');
  return undefined;
}

function certificateMatches(r: TlsaData, der: Buffer): boolean {
  const bytes = selectedBytes(der, r.selector);
  if (!bytes) return false;
  return associationData(bytes, r.matchingType) === r.data.toLowerCase();
}

/** Whether chain[0..ta] is a chain of issuance: each certificate issued and signed by the next. */
function issuedUpTo(chain: Buffer[], ta: number): boolean {
  try {
    const certs = chain.slice(0, ta + 1).map((d) => new X509Certificate(d));
    for (let i = 0; i < ta; i++) {
      const [child, parent] = [certs[i]!, certs[i + 1]!];
      if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Matches the certificates a server presented (DER, leaf first) against TLSA records.
 * DANE-EE(3) matches the leaf only. DANE-TA(2) matches a certificate above the leaf (a trust anchor
 * the server must include in its chain, RFC 7672 §3.1.2) through which the leaf was issued.
 */
export function matchTlsa(records: TlsaData[], chain: Buffer[]): TlsaMatch {
  if (chain.length === 0) return { matched: false };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!isUsableForSmtp(r)) continue;
    if (r.usage === 3) {
      if (certificateMatches(r, chain[0]!)) return { matched: true, record: i, certificate: 0 };
      continue;
    }
    for (let c = 1; c < chain.length; c++) {
      if (certificateMatches(r, chain[c]!) && issuedUpTo(chain, c)) return { matched: true, record: i, certificate: c };
    }
  }
  return { matched: false };
}

/** A TLSA record for a certificate (what an operator would publish): handy for tests and fix messages. */
export function tlsaFor(der: Buffer, usage: number, selector: number, matchingType: number): TlsaData {
  const bytes = selectedBytes(der, selector);
  const data = bytes ? associationData(bytes, matchingType) : undefined;
  if (data === undefined) throw new Error(`cannot build TLSA ${usage} ${selector} ${matchingType}`);
  return { usage, selector, matchingType, data };
}
