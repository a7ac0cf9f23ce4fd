import type { RecordOrigin } from '../dns/types.js';
import type { Presence } from './common.js';

/**
 * Something wrong with a DKIM key record. kind: syntax (dkim-syntax-error: the record breaks the
 * RFC 6376 §3.6.1 grammar or its key cannot be decoded); the record is well-formed but its key
 * unusable: no-usable-hash (dkim-no-usable-hash), not-for-email, unknown-key-type or key-type-mismatch
 * (a valid key of another type than k= says) (dkim-key-unusable).
 */
export interface DkimProblemFact {
  selector: string;
  /** `<selector>._domainkey.<domain>` */
  name: string;
  /** The tag concerned ("" for the record as a whole). */
  tag: string;
  reason: string;
  kind: 'syntax' | 'no-usable-hash' | 'not-for-email' | 'unknown-key-type' | 'key-type-mismatch';
  origin?: RecordOrigin;
}

/** One DKIM key record (RFC 6376 §3.6.1). */
export interface DkimKeyFact {
  selector: string;
  name: string;
  /** The record's character-strings joined, and as published. */
  text: string;
  chunks: string[];
  /** Tags, names lower-cased; a repeated tag keeps its first value. */
  tags: Record<string, string>;
  /** `k=`: rsa (the default), ed25519, or what was published. */
  keyType: string;
  /** Key size in bits: RSA modulus length read from the key, 256 for Ed25519; absent when unreadable or revoked. */
  bits?: number;
  /** How the RSA key is encoded: SubjectPublicKeyInfo (as RFC 6376 says) or a bare PKCS#1 RSAPublicKey. */
  encoding?: 'spki' | 'pkcs1';
  /** `h=`: the hash algorithms allowed, as published; absent means all. */
  hashAlgorithms?: string[];
  /** Names in `h=` no verifier knows: ignored (RFC 6376 §3.6.1). */
  ignoredHashAlgorithms?: string[];
  /** `s=`: service types; absent means all (`*`). */
  serviceTypes?: string[];
  /** `t=` flags as published (y, s, …). */
  flags: string[];
  /** `t=y`: the domain is testing DKIM. */
  testing: boolean;
  /** `t=s`: the `i=` domain of signatures must equal `d=`, no subdomains. */
  strictIdentity: boolean;
  /** Empty `p=`: the key is revoked. */
  revoked: boolean;
  /** `h=` lists sha1 (RFC 8301). */
  sha1Allowed: boolean;
  /** The record parses and its key is usable. */
  valid: boolean;
  origin?: RecordOrigin;
}

export interface DkimFacts {
  /** found: at least one selector has a key record; absent: none; undetermined: none, and a lookup failed. */
  status: Presence;
  /** Every selector asked for, in order (none when the wildcard probe itself failed). */
  tried: string[];
  /** Selectors that answered with a key record of their own (wildcard answers excluded). */
  answered: string[];
  /** Selectors whose lookup failed (the wildcard probe's name when it failed). */
  failed: string[];
  /** Selectors given by the user (`--dkim-selector`). */
  userSelectors: string[];
  /** The improbable selector asked to detect a wildcard under `_domainkey`. */
  wildcardProbe: string;
  /** A wildcard TXT under `_domainkey.<domain>` answers for any selector. */
  wildcard: boolean;
  /** The wildcard's answer (to the probe), when there is one. */
  wildcardRecord?: { name: string; text: string; origin?: RecordOrigin };
  /** Selectors whose answer was the wildcard's (not counted as keys). */
  wildcardSelectors: string[];
  keys: DkimKeyFact[];
  problems: DkimProblemFact[];
  /**
   * Whether the domain may send mail. false only when it publishes `v=spf1 -all` and has a null MX
   * or no MX: then it needs no DKIM key.
   */
  sendsMail: boolean;
  /** `_domainkey.<domain>`, where findings about the domain's keys as a whole point. */
  name: string;
  /** How the selectors were found (issue 15): see DkimDiscoveryFacts. */
  discovery: DkimDiscoveryFacts;
  /** How many selectors were asked (`tried.length`), for messages. */
  triedCount: number;
}

/**
 * How DKIM discovery went. `_domainkey.<domain>` is asked first: NXDOMAIN means no name exists below
 * it (RFC 8020), so only the user's and the most common selectors are asked (`short`), as a guard
 * against servers that answer NXDOMAIN for empty non-terminals; any of them existing means the
 * server broke RFC 8020, and the full list is asked. Anything else at `_domainkey` (it exists, or its
 * lookup failed), or `--dkim-discovery full`, asks the full list.
 */
export interface DkimDiscoveryFacts {
  /** `short`: only the guard selectors were asked; `full`: every built-in and given selector. */
  method: 'short' | 'full';
  /** Why: forced (`--dkim-discovery full`), exists, failed, nxdomain, or rfc8020-broken. */
  reason: 'forced' | 'domainkey-exists' | 'domainkey-failed' | 'domainkey-nxdomain' | 'rfc8020-broken';
  /** The answer at `_domainkey.<domain>` (absent when not asked: forced full). */
  domainkeyStatus?: 'ok' | 'nxdomain' | 'nodata' | 'error';
  /** `_domainkey.<domain>` answered NXDOMAIN but a selector below it exists. */
  rfc8020Broken: boolean;
  /** One line on how discovery went, for messages. */
  note: string;
}
