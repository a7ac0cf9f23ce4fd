import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { CertificateFact, SmtpTlsFact } from '../facts/smtp.js';

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  'P-256': 256,
  secp384r1: 384,
  'P-384': 384,
  secp521r1: 521,
  'P-521': 521,
  secp256k1: 256,
};

/** OpenSSL verify errors about dates only: the chain may still lead to a trusted root. */
const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);

const LEGACY_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

/** The chain as OpenSSL verified it, leaf first: follows issuerCertificate until a self-issued one or a loop. */
export function peerChain(peer: tls.DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = peer;
  while (cert?.raw && !seen.has(cert.fingerprint256) && chain.length < 10) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function certificateFact(x: X509Certificate): CertificateFact {
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const fact: CertificateFact = {
    subject: oneLine(x.subject),
    subjectAltNames: (x.subjectAltName ?? '')
      .split(/,\s*/)
      .filter(Boolean)
      .map((n) => (n.startsWith('DNS:') ? n.slice(4) : n.replace(/^IP Address:/, 'IP:'))),
    issuer: oneLine(x.issuer),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    keyType: key.asymmetricKeyType ?? 'unknown',
    fingerprintSha256: x.fingerprint256,
    ...(x.signatureAlgorithm ? { signatureAlgorithm: x.signatureAlgorithm } : {}),
    selfSigned: x.checkIssued(x) && safeVerify(x, x),
    der: x.raw.toString('base64'),
  };
  if (details.modulusLength) fact.keyBits = details.modulusLength;
  else if (details.namedCurve) {
    fact.curve = details.namedCurve;
    if (CURVE_BITS[details.namedCurve]) fact.keyBits = CURVE_BITS[details.namedCurve];
  } else if (fact.keyType === 'ed25519') fact.keyBits = 256;
  else if (fact.keyType === 'ed448') fact.keyBits = 456;
  return fact;
}

function safeVerify(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The trust store: node's default CA certificates (NODE_EXTRA_CA_CERTS included) plus `extra` PEMs. */
export class TrustStore {
  private parsed: X509Certificate[] | undefined;
  constructor(readonly extraPems: string[] = []) {}

  /** PEMs to hand to tls.connect: undefined (node's default) unless extra CAs were given. */
  get caOption(): string[] | undefined {
    return this.extraPems.length ? [...defaultCaPems(), ...this.extraPems] : undefined;
  }

  get certificates(): X509Certificate[] {
    this.parsed ??= [...defaultCaPems(), ...this.extraPems].flatMap((pem) => {
      try {
        return [new X509Certificate(pem)];
      } catch {
        return [];
      }
    });
    return this.parsed;
  }

  /**
   * Whether `chain` (leaf first) leads to a certificate of the store, by names and signatures only:
   * dates are judged separately. Returns the reason when it does not.
   */
  leadsToRoot(chain: X509Certificate[]): { trusted: boolean; reason?: string } {
    const roots = this.certificates;
    let cert: X509Certificate | undefined = chain[0];
    const used = new Set<X509Certificate>();
    for (let depth = 0; cert && depth < 10; depth++) {
      used.add(cert);
      if (roots.some((r) => r.fingerprint256 === cert!.fingerprint256)) return { trusted: true };
      const current: X509Certificate = cert;
      if (roots.some((r) => current.checkIssued(r) && safeVerify(current, r))) return { trusted: true };
      if (current.checkIssued(current)) {
        return { trusted: false, reason: depth === 0 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN' };
      }
      cert = chain.find((c) => !used.has(c) && current.checkIssued(c) && safeVerify(current, c));
    }
    return { trusted: false, reason: chain.length > 1 ? 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' };
  }
}

function defaultCaPems(): string[] {
  const get = (tls as unknown as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  return get ? get('default') : [...tls.rootCertificates];
}

/** What the TLS session and its certificate are worth, for `host` (RFC 6125/9525 name checks). */
export function describeTls(socket: tls.TLSSocket, host: string, store: TrustStore, now = new Date()): SmtpTlsFact {
  const version = socket.getProtocol() ?? 'unknown';
  const cipher = socket.getCipher();
  const peer = socket.getPeerCertificate(true);
  const chain = peer && peer.raw ? peerChain(peer) : [];
  const ephemeral = socket.getEphemeralKeyInfo();
  const certificates = chain.map(certificateFact);
  const fact: SmtpTlsFact = {
    version,
    legacy: LEGACY_VERSIONS.has(version),
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    // TLS 1.3 key exchange is always ephemeral (RFC 8446 §2); before it, only (EC)DHE suites are.
    forwardSecrecy: version === 'TLSv1.3' || Boolean(ephemeral && 'type' in ephemeral && ephemeral.type) || /^(TLS_)?(EC)?DHE[-_]/.test(cipher?.standardName ?? cipher?.name ?? ''),
    chain: certificates,
    trusted: false,
    validity: 'valid',
    nameMatches: false,
  };
  if (ephemeral && 'type' in ephemeral && ephemeral.type) fact.keyExchange = [ephemeral.type, ephemeral.name ?? ephemeral.size].filter(Boolean).join(' ');
  const weakKeys = certificates.filter((c) => c.keyType.startsWith('rsa') && c.keyBits !== undefined && c.keyBits < 2048).map((c) => `${c.subject} (RSA ${c.keyBits})`);
  if (weakKeys.length) fact.weakKeys = weakKeys;
  // A root's signature on itself proves nothing and is never checked: only the signatures a client verifies count.
  const sha1 = certificates.filter((c) => !c.selfSigned && /sha1|SHA1/.test(c.signatureAlgorithm ?? '')).map((c) => `${c.subject} (${c.signatureAlgorithm})`);
  if (sha1.length) fact.sha1Signatures = sha1;
  const verifyError = socket.authorized ? undefined : String(socket.authorizationError ?? 'UNKNOWN');
  if (verifyError) fact.verifyError = verifyError;
  const leaf = chain[0];
  if (!leaf) {
    fact.trustError = 'NO_PEER_CERTIFICATE';
    fact.nameError = 'no certificate';
    return fact;
  }
  fact.notAfter = new Date(leaf.validTo).toISOString();
  if (now < new Date(leaf.validFrom) || verifyError === 'CERT_NOT_YET_VALID') fact.validity = 'not-yet-valid';
  else if (now > new Date(leaf.validTo) || verifyError === 'CERT_HAS_EXPIRED') fact.validity = 'expired';
  if (!verifyError) fact.trusted = true;
  else if (TIME_ERRORS.has(verifyError)) {
    // OpenSSL reports the last error it met: an expired certificate may hide an unknown issuer.
    const walk = store.leadsToRoot(chain);
    fact.trusted = walk.trusted;
    if (walk.reason) fact.trustError = walk.reason;
  } else fact.trustError = verifyError;
  const nameError = tls.checkServerIdentity(host, peer);
  fact.nameMatches = nameError === undefined;
  if (nameError) fact.nameError = nameError.message;
  return fact;
}
