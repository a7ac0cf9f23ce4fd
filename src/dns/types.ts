/** Record types mailaudit asks for. */
export type RRType =
  | 'A'
  | 'AAAA'
  | 'MX'
  | 'TXT'
  | 'SPF'
  | 'CNAME'
  | 'NS'
  | 'SOA'
  | 'PTR'
  | 'TLSA'
  | 'CAA'
  | 'SRV';

export interface MxData {
  preference: number;
  /** Exchange host name, lower-case, no trailing dot; "" for the null MX ("."). */
  exchange: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  /** Certificate association data, lower-case hex. */
  data: string;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface CaaData {
  flags: number;
  tag: string;
  value: string;
}

/** The data of one record, by type. TXT/SPF keep their character-strings as published. */
export interface RecordDataByType {
  A: string;
  AAAA: string;
  MX: MxData;
  TXT: string[];
  SPF: string[];
  CNAME: string;
  NS: string;
  SOA: SoaData;
  PTR: string;
  TLSA: TlsaData;
  CAA: CaaData;
  SRV: SrvData;
}

export type RecordData = RecordDataByType[RRType];

/** Where a record was read from, when it came from a zone file. */
export interface RecordOrigin {
  file: string;
  line: number;
}

/** One record of a zone file. Names are absolute, lower-case, without the trailing dot. */
export interface ZoneRecord<T extends RRType = RRType> {
  name: string;
  type: T;
  ttl: number;
  data: RecordDataByType[T];
  origin: RecordOrigin;
}

/**
 * The outcome of one DNS question. `error` covers timeouts, SERVFAIL, REFUSED, unreachable servers:
 * the answer is undetermined, never "absent".
 */
export type DnsStatus = 'ok' | 'nxdomain' | 'nodata' | 'error';

export interface DnsAnswer<T extends RRType = RRType> {
  name: string;
  type: T;
  status: DnsStatus;
  records: RecordDataByType[T][];
  /** Parallel to `records`: set for records that came from a zone file. */
  origins?: (RecordOrigin | undefined)[];
  /** For status `error`: a short code such as ETIMEOUT, ESERVFAIL, EREFUSED, ECONNREFUSED. */
  error?: string;
  /** Where the answer came from. */
  source: 'dns' | 'zone';
  /**
   * Live DNS: the resolvers the question went to, as `ip` or `ip:port`. With several, node:dns asks
   * them in turn and does not say which one answered; the raw path (SPF) names the one that did.
   */
  servers?: string[];
}

/** Anything that can answer DNS questions: live DNS, a zone file laid over it, a cache. */
export interface DnsSource {
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>>;
}
