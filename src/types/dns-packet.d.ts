/**
 * Minimal type declarations for dns-packet 5.x (which ships no types): only what mailaudit uses.
 * Record `data` is left as `unknown`; its shape depends on the type (see dns-packet's README):
 * A/AAAA/CNAME/NS/PTR: string; MX: { preference, exchange }; TXT: Buffer[] when decoded (string |
 * Buffer | (string | Buffer)[] when encoding); SOA: { mname, rname, serial, ... }; TLSA: { usage,
 * selector, matchingType, certificate: Buffer }; CAA: { flags, tag, value }; SRV: { priority,
 * weight, port, target }; types dns-packet does not know (e.g. SPF, 99): the raw rdata Buffer.
 */
declare module 'dns-packet' {
  namespace dnsPacket {
    interface Question {
      name: string;
      /** 'A', 'TXT', ... or 'UNKNOWN_<n>' for types dns-packet does not name. */
      type: string;
      class?: string;
    }

    interface Answer {
      name: string;
      type: string;
      class?: string;
      ttl?: number;
      flush?: boolean;
      data?: unknown;
      // OPT pseudo-record fields (type 'OPT', name '.'):
      udpPayloadSize?: number;
      extendedRcode?: number;
      ednsVersion?: number;
      flags?: number;
      flag_do?: boolean;
      options?: unknown[];
    }

    interface Packet {
      id?: number;
      type?: 'query' | 'response';
      /** Header flags without QR (bits 0-14): opcode, AA, TC, RD, RA, Z, AD, CD and the rcode. */
      flags?: number;
      questions?: Question[];
      answers?: Answer[];
      authorities?: Answer[];
      additionals?: Answer[];
    }

    interface DecodedPacket {
      id: number;
      type: 'query' | 'response';
      flags: number;
      flag_qr: boolean;
      opcode: string;
      flag_aa: boolean;
      flag_tc: boolean;
      flag_rd: boolean;
      flag_ra: boolean;
      flag_z: boolean;
      flag_ad: boolean;
      flag_cd: boolean;
      /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', ... */
      rcode: string;
      questions: Question[];
      answers: Answer[];
      authorities: Answer[];
      additionals: Answer[];
    }

    function encode(packet: Packet, buf?: Buffer, offset?: number): Buffer;
    function decode(buf: Buffer, offset?: number): DecodedPacket;
    /** encode() with a 2-byte length prefix, for DNS over TCP. */
    function streamEncode(packet: Packet): Buffer;

    const AUTHORITATIVE_ANSWER: number;
    const TRUNCATED_RESPONSE: number;
    const RECURSION_DESIRED: number;
    const RECURSION_AVAILABLE: number;
    const AUTHENTIC_DATA: number;
    const CHECKING_DISABLED: number;
    const DNSSEC_OK: number;
  }
  export = dnsPacket;
}
