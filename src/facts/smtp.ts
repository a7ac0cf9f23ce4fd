/**
 * Facts of the live SMTP probe (issue 5): what each MX address said on port 25, and what a
 * submission host (`--submission HOST`) offers on ports 465 and 587. Plain JSON, like every fact.
 */

/** One SMTP reply (RFC 5321 §4.2): the code and its text lines (without the code). */
export interface SmtpReplyFact {
  code: number;
  /** The text of each line, code and separator removed. */
  lines: string[];
  /** The enhanced status code the text starts with (RFC 3463 §2), on a reply that ended the conversation. */
  enhancedCode?: string;
}

/** One certificate of the chain the server presented, leaf first. */
export interface CertificateFact {
  subject: string;
  /** DNS names of subjectAltName (IP addresses as `IP:...`). */
  subjectAltNames: string[];
  issuer: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** rsa, rsa-pss, ec, ed25519, … */
  keyType: string;
  /** RSA modulus size, or the EC curve's size. */
  keyBits?: number;
  /** EC curve name (prime256v1, secp384r1, …). */
  curve?: string;
  /** The algorithm of the issuer's signature on it, as OpenSSL names it (sha256WithRSAEncryption, ecdsa-with-SHA256, sha1WithRSAEncryption …). */
  signatureAlgorithm?: string;
  /** SHA-256 of the DER, colon-separated upper-case hex as openssl prints it. */
  fingerprintSha256: string;
  selfSigned: boolean;
  /** The certificate itself, DER in base64: what DANE's TLSA records are matched against. */
  der: string;
}

/** What the TLS session looked like and what the certificate is worth. */
export interface SmtpTlsFact {
  /** TLSv1.3, TLSv1.2, TLSv1.1, TLSv1 … as OpenSSL names it. */
  version: string;
  /** TLS 1.0/1.1 or SSL (RFC 8996 deprecates them). */
  legacy: boolean;
  cipher: string;
  /** The session has forward secrecy: TLS 1.3, or an ephemeral (EC)DHE key exchange. */
  forwardSecrecy?: boolean;
  /** The ephemeral key exchange (`ECDH X25519`, `DH 2048`), when there was one. */
  keyExchange?: string;
  /** Certificates of the chain presented with an RSA key under 2048 bits: "CN=… (RSA 1024)". */
  weakKeys?: string[];
  /** Certificates of the chain presented (self-signed roots aside) signed with SHA-1: "CN=… (sha1WithRSAEncryption)". */
  sha1Signatures?: string[];
  /** Whole days until the leaf expires (negative once expired). */
  daysLeft?: number;
  /** The leaf is valid now but expires within `--cert-expiry-days`. */
  expiresSoon?: boolean;
  /** The certificate chain, leaf first (as verified by OpenSSL: may end at a root of the trust store). */
  chain: CertificateFact[];
  /** OpenSSL's verdict on the whole chain against the trust store (authorizationError when it fails). */
  verifyError?: string;
  /** The chain leads to a trusted root (whatever the validity dates say). */
  trusted: boolean;
  /** Why it does not (an OpenSSL code such as DEPTH_ZERO_SELF_SIGNED_CERT), when `trusted` is false. */
  trustError?: string;
  /** valid, expired or not-yet-valid: the leaf's dates (and any chain certificate's) against now. */
  validity: 'valid' | 'expired' | 'not-yet-valid';
  /** The leaf certificate's notAfter (ISO 8601). */
  notAfter?: string;
  /** The certificate covers the host name (tls.checkServerIdentity, RFC 6125/9525). */
  nameMatches: boolean;
  /** Why it does not. */
  nameError?: string;
}

/**
 * How far the conversation got:
 * - `skipped`: this machine cannot reach the address (no route: ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL…)
 * - `unreachable`: connection refused or timed out
 * - `no-banner`: connected, but no 220 greeting (silence, closed, a greeting code other than 220/421/554, garbage)
 * - `greeting-refused`: the greeting was 421 (busy, rate limit; after one retry) or 554 (refused, often a block
 *   list entry for the probing address): the server neither works nor is broken, as far as this probe can tell
 * - `undetermined`: the conversation was not held or not finished before the domain's probe deadline
 * - `ehlo-failed`: EHLO was refused or the server went away
 * - `no-starttls`: EHLO does not offer STARTTLS
 * - `tls-failed`: STARTTLS offered but refused, or the handshake failed
 * - `tls`: TLS established (certificate facts in `tls`)
 */
export type SmtpOutcome =
  | 'skipped'
  | 'unreachable'
  | 'no-banner'
  | 'greeting-refused'
  | 'ehlo-failed'
  | 'no-starttls'
  | 'tls-failed'
  | 'tls'
  | 'undetermined';

/** A vulnerability the software table (data/smtp-software.json) lists for the version shown. */
export interface SoftwareAdvisoryFact {
  title: string;
  ids: string[];
  /** The first version with the fix. */
  fixedIn: string;
  /** The vendor advisory (or the researchers' advisory the vendor points to). */
  source: string;
  /** When the entry was last checked against its source. */
  checked: string;
  note?: string;
}

/** One conversation with one address. */
export interface SmtpProbeFact {
  /** The host name we connected for (MX target, submission host, or the domain for an implicit MX). */
  host: string;
  address: string;
  port: number;
  /** `starttls` (ports 25, 587) or `implicit-tls` (port 465, RFC 8314 §3). */
  mode: 'starttls' | 'implicit-tls';
  outcome: SmtpOutcome;
  /** Why the address was skipped or unreachable: a socket error code (ECONNREFUSED, ETIMEDOUT, ENETUNREACH…). */
  error?: string;
  /** Milliseconds to establish the TCP connection. */
  connectMs?: number;
  greeting?: SmtpReplyFact;
  /** First word of the greeting after the code: the name the server announces (RFC 5321 §4.3.1). */
  greetingHost?: string;
  /** EHLO reply keywords over plaintext, upper-case keyword followed by its parameters as sent. */
  ehlo?: string[];
  /** STARTTLS is among the EHLO keywords. */
  starttlsOffered?: boolean;
  /** AUTH mechanisms offered before TLS (plaintext), upper-case. */
  authBeforeTls?: string[];
  tls?: SmtpTlsFact;
  /** EHLO keywords over TLS. */
  ehloTls?: string[];
  /** AUTH mechanisms offered over TLS. */
  authAfterTls?: string[];
  /** The reply that ended the conversation when it went wrong (a refused greeting, EHLO or STARTTLS). */
  failedReply?: SmtpReplyFact;
  /** The step that went wrong: connect, greeting, ehlo, starttls, handshake, ehlo-tls, deadline. */
  failedStep?: string;
  /**
   * Not connected again: the address failed at connect or greeting in the conversation held for this
   * host name, and the outcome is the address's whatever name points at it.
   */
  sameAddressAs?: string;
  /** `greeting-refused`: the reply code and, when given, the enhanced status code: "421 4.7.0", "554". */
  refusal?: string;
  /** The greeting was 421: one retry was made after this many milliseconds. */
  retriedAfterMs?: number;
  /** `undetermined`: still queued behind other conversations with the address, or cut off while running. */
  notHeld?: 'queued' | 'cut-off';
  /** `undetermined`: the domain's probe deadline that passed (ms). */
  deadlineMs?: number;
  /** Server software named in the greeting or the EHLO reply (data/smtp-software.json), with its version when shown. */
  software?: { product: string; name: string; version?: string; from: 'greeting' | 'ehlo'; text: string };
  /** The version shown is an end-of-life release. */
  softwareEndOfLife?: { release: string; endOfLife: string; source: string; checked: string };
  /** Known remotely exploitable vulnerabilities of the version shown. */
  softwareVulnerabilities?: SoftwareAdvisoryFact[];
  /** The version with every listed fix. */
  softwareFixedIn?: string;
  /** One line per vulnerability: ids, the version the fix came in, the advisory. */
  softwareAdvisories?: string[];
}

/** One MX address as probed, with what is known of the address's name. */
export interface SmtpAddressFact extends SmtpProbeFact {
  preference: number;
  /** The domain has no MX: this is its own address that senders fall back to (RFC 5321 §5.1). */
  implicit?: boolean;
  /** `host:port` (the finding location). */
  endpoint: string;
  /** PTR names of the address, when they were needed (the greeting does not name the MX host). */
  ptr?: string[];
  /** The greeting names the MX host or one of the address's PTR names; absent when there is no greeting. */
  greetingHostMatches?: boolean;
  /** A one-line summary: "STARTTLS, TLS 1.3, certificate valid for mx1.example.com until 2027-03-01". */
  verdict: string;
}

export interface SmtpFacts {
  /** `probed`: at least one address was tried; `none`: nothing to probe (null MX, no address). */
  status: 'probed' | 'none';
  port: number;
  /** Every probed address of every MX host (at most 10 hosts, preference order; at most 4 addresses a host), A then AAAA. */
  addresses: SmtpAddressFact[];
  /** MX hosts with more addresses than are probed: the ones left out (listed up to 10, all counted). */
  notProbed?: NotProbedFact[];
  /** How many addresses not probed, over every host (for the rule's message). */
  notProbedCount?: number;
  /** Per host, "mx1.example.com: 296 of 300" (for the rule's message). */
  notProbedHosts?: string[];
}

/** Addresses of one MX host left out of the probe (RFC 5321 §5.1: senders try a few). */
export interface NotProbedFact {
  host: string;
  /** The host's addresses. */
  total: number;
  probed: number;
  /** The first addresses left out (at most 10). */
  addresses: string[];
  /** How many were left out. */
  count: number;
}

/** One submission port of one address. */
export interface SubmissionEndpointFact extends SmtpProbeFact {
  endpoint: string;
  verdict: string;
  /** Offered AUTH mechanisms that are Historic or need passwords stored recoverably: CRAM-MD5, DIGEST-MD5 (RFC 6331). */
  weakAuth?: string[];
  /** Offered token mechanisms modern clients and large providers use: OAUTHBEARER (RFC 7628), XOAUTH2. */
  tokenAuth?: string[];
  /** TLS is up and EHLO over TLS answered, but it offers no AUTH: clients cannot submit. */
  noAuthAfterTls?: boolean;
}

export interface SubmissionFacts {
  host: string;
  /** found / absent / undetermined: the host's addresses. */
  addressStatus: 'found' | 'absent' | 'undetermined';
  endpoints: SubmissionEndpointFact[];
  /** Addresses of the host beyond the first 4, not probed (RFC 5321 §5.1 bound, as for MX hosts). */
  addressesNotProbed?: number;
  /** Endpoints where TLS was established. */
  tlsEndpoints: number;
}
