import type { ParsedZone } from './zonefile.js';
import type { DnsAnswer, DnsSource, RRType, RecordDataByType, RecordOrigin, ZoneRecord } from './types.js';

const MAX_CNAME_CHAIN = 8;

const isAtOrBelow = (name: string, zone: string): boolean =>
  zone === '' || name === zone || name.endsWith(`.${zone}`);

/**
 * Answers from a zone file for the names it is authoritative for, like the zone's own server would
 * once deployed; everything else (names outside the zone or delegated away) goes to `fallback`.
 */
export class ZoneDnsSource implements DnsSource {
  private readonly byName = new Map<string, ZoneRecord[]>();
  /** Owner names and their ancestors inside the zone (empty non-terminals exist too). */
  private readonly existing = new Set<string>();
  private readonly delegations: string[] = [];

  constructor(
    readonly zone: ParsedZone,
    private readonly fallback: DnsSource,
  ) {
    for (const record of zone.records) {
      if (!isAtOrBelow(record.name, zone.origin)) continue;
      const list = this.byName.get(record.name) ?? [];
      list.push(record);
      this.byName.set(record.name, list);
      if (record.type === 'NS' && record.name !== zone.origin) this.delegations.push(record.name);
      for (let n = record.name; isAtOrBelow(n, zone.origin); n = n.slice(n.indexOf('.') + 1)) {
        this.existing.add(n);
        if (n === zone.origin || !n.includes('.')) break;
      }
    }
  }

  /** True when the zone file, not live DNS, has the answer for this name. */
  covers(name: string): boolean {
    if (!isAtOrBelow(name, this.zone.origin)) return false;
    return !this.delegations.some((cut) => isAtOrBelow(name, cut));
  }

  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    return this.answer(name.toLowerCase().replace(/\.$/, ''), type, 0);
  }

  private async answer<T extends RRType>(name: string, type: T, depth: number): Promise<DnsAnswer<T>> {
    if (!this.covers(name)) return this.fallback.resolve(name, type);
    const own = this.byName.get(name) ?? (this.existing.has(name) ? [] : this.wildcardFor(name));
    if (own === undefined) return { name, type, status: 'nxdomain', records: [], source: 'zone' };
    const cname = own.find((r) => r.type === 'CNAME') as ZoneRecord<'CNAME'> | undefined;
    if (cname && type !== 'CNAME') {
      if (depth >= MAX_CNAME_CHAIN) return { name, type, status: 'error', records: [], error: 'ECNAMELOOP', source: 'zone' };
      const target = await this.answer(cname.data, type, depth + 1);
      return { ...target, name };
    }
    const matching = own.filter((r) => r.type === type) as ZoneRecord<T>[];
    const records: RecordDataByType[T][] = matching.map((r) => r.data);
    const origins: (RecordOrigin | undefined)[] = matching.map((r) => r.origin);
    return { name, type, status: records.length ? 'ok' : 'nodata', records, origins, source: 'zone' };
  }

  /** RFC 4592: the wildcard at the closest encloser answers for a name that does not exist. */
  private wildcardFor(name: string): ZoneRecord[] | undefined {
    let encloser = name;
    while (encloser !== this.zone.origin && encloser.includes('.')) {
      encloser = encloser.slice(encloser.indexOf('.') + 1);
      if (this.existing.has(encloser)) {
        const wild = this.byName.get(`*.${encloser}`);
        return wild?.map((r) => ({ ...r, name }));
      }
    }
    return undefined;
  }
}
