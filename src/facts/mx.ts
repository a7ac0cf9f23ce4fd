import type { RecordOrigin } from '../dns/types.js';
import type { Presence } from './common.js';

export interface MxHostFact {
  preference: number;
  /** Target host name; "" for the null MX. */
  exchange: string;
  isNull: boolean;
  /** The target is an IP address written as a name (RFC 7505 §3 / RFC 5321 §5.1 forbid it). */
  ipLiteral: boolean;
  /** When the target is an alias: the CNAME it points to. */
  cname?: string;
  /** A and AAAA addresses of the target (through the CNAME, if any). */
  addresses: string[];
  addressStatus: Presence;
  /** Reverse DNS of each address, forward-confirmed (RFC 1912 §2.1). */
  reverse?: MxReverseFact[];
  /** false: not looked up, being past the first MAX_MX_HOSTS_RESOLVED (32) hosts; addressStatus is then undetermined. */
  resolved?: boolean;
  origin?: RecordOrigin;
}

/** The PTR names of one MX address and whether one of them resolves back to the address. */
export interface MxReverseFact {
  /** The MX host the address belongs to. */
  host: string;
  address: string;
  /** The in-addr.arpa / ip6.arpa name asked. */
  name: string;
  /** found: PTR records exist; absent: none; undetermined: a lookup failed. */
  status: Presence;
  ptr: string[];
  /** The PTR names as shown in messages ("none" without any). */
  ptrText: string;
  /** A PTR name has the address among its own A/AAAA records. Absent while undetermined. */
  confirmed?: boolean;
  /** No PTR, or no PTR name that resolves back: what mail receivers check before they trust a server. */
  mismatch?: boolean;
}

export interface MxFacts {
  status: Presence;
  /** Hosts by preference (lowest first), the null MX included. */
  hosts: MxHostFact[];
  nullMx: boolean;
  /** A null MX published alongside other MX records. */
  nullMixed: boolean;
  /** Distinct non-null MX targets. */
  hostCount: number;
  /** Hosts not looked up (`resolved: false`): past the first MAX_MX_HOSTS_RESOLVED (32) by preference. */
  unresolvedHosts?: number;
  /** With no MX: the domain's own A/AAAA addresses that senders fall back to (RFC 5321 §5.1). */
  implicitAddresses?: string[];
  origin?: RecordOrigin;
}
