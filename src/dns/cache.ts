import type { DnsAnswer, DnsSource, RRType } from './types.js';

export interface CacheOptions {
  /**
   * Most answers kept (default DEFAULT_CACHE_ENTRIES). Questions in flight are not counted: they are
   * bounded by the number of domains in flight.
   */
  maxEntries?: number;
}

/** Enough for every name a provider shares (includes, MX hosts) plus the names of the domains in flight. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

export interface CacheStats {
  /** Answers served from the cache or from a question already in flight. */
  hits: number;
  /** Questions passed on to the source. */
  misses: number;
  /** Answers dropped to stay within maxEntries. */
  evictions: number;
}

/**
 * Asks each question once per run: concurrent identical questions share the one in flight, later ones
 * get the stored answer. Failed answers are kept too, so one timeout is not paid twice.
 *
 * Bounded for lists of millions of domains: a segmented LRU. A new answer enters a small probation
 * segment; asked for a second time (by another domain, or while still in flight: each domain's
 * RecordingDnsSource answers its own repeated questions), it moves to the protected segment. Names only one domain needs (its own TXT, MX, _dmarc) pass through probation and
 * fall out in arrival order; names many domains share (a provider's SPF include, its MX hosts) are
 * asked for again and again and stay at the fresh end of the protected segment. A stream of one-off
 * names can therefore never push the shared ones out, and memory stays flat however long the list.
 */
export class CachingDnsSource implements DnsSource {
  private readonly inFlight = new Map<string, { answer: Promise<DnsAnswer>; shared: boolean }>();
  /** Insertion order is recency order: the first key is the least recently used. */
  private readonly probation = new Map<string, DnsAnswer>();
  private readonly protected = new Map<string, DnsAnswer>();
  private readonly probationMax: number;
  private readonly protectedMax: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    private readonly inner: DnsSource,
    options: CacheOptions = {},
  ) {
    const max = Math.max(2, Math.floor(options.maxEntries ?? DEFAULT_CACHE_ENTRIES));
    this.probationMax = Math.max(1, Math.floor(max / 5));
    this.protectedMax = max - this.probationMax;
  }

  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const lower = name.toLowerCase();
    const key = `${type} ${lower}`;
    let stored = this.protected.get(key);
    if (stored) {
      this.protected.delete(key);
      this.protected.set(key, stored);
      this.stats.hits++;
      return Promise.resolve(stored as DnsAnswer<T>);
    }
    stored = this.probation.get(key);
    if (stored) {
      this.probation.delete(key);
      this.protect(key, stored);
      this.stats.hits++;
      return Promise.resolve(stored as DnsAnswer<T>);
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      pending.shared = true;
      this.stats.hits++;
      return pending.answer as Promise<DnsAnswer<T>>;
    }
    this.stats.misses++;
    const entry = { answer: this.inner.resolve(lower, type) as Promise<DnsAnswer>, shared: false };
    this.inFlight.set(key, entry);
    entry.answer.then(
      (answer) => {
        this.inFlight.delete(key);
        if (entry.shared) this.protect(key, answer);
        else {
          this.probation.set(key, answer);
          this.trim(this.probation, this.probationMax);
        }
      },
      () => this.inFlight.delete(key),
    );
    return entry.answer as Promise<DnsAnswer<T>>;
  }

  /** Answers held (questions in flight not included). */
  get size(): number {
    return this.probation.size + this.protected.size;
  }

  private protect(key: string, answer: DnsAnswer): void {
    this.protected.set(key, answer);
    if (this.protected.size > this.protectedMax) {
      // The least recently used protected answer gets one more chance in probation.
      const [oldKey, oldAnswer] = this.protected.entries().next().value as [string, DnsAnswer];
      this.protected.delete(oldKey);
      this.probation.set(oldKey, oldAnswer);
      this.trim(this.probation, this.probationMax);
    }
  }

  private trim(segment: Map<string, DnsAnswer>, max: number): void {
    while (segment.size > max) {
      segment.delete(segment.keys().next().value as string);
      this.stats.evictions++;
    }
  }
}

/** One lookup as the facts report it. */
export interface LookupRecord {
  name: string;
  type: RRType;
  status: DnsAnswer['status'];
  error?: string;
  source: DnsAnswer['source'];
  /** For a failed or NXDOMAIN answer from live DNS: the resolvers asked (see DnsAnswer.servers). */
  servers?: string[];
}

/**
 * Records every question asked on behalf of one audited domain (for its facts), in order of asking.
 * A question the domain asks again is answered from its own record, without going back to the run's
 * cache: so the cache sees each name once per domain, and a second request there means a second
 * domain — what its protected segment is for.
 */
export class RecordingDnsSource implements DnsSource {
  readonly lookups: LookupRecord[] = [];
  private readonly seen = new Set<string>();
  private readonly asked = new Map<string, Promise<DnsAnswer>>();
  constructor(private readonly inner: DnsSource) {}

  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const question = `${type} ${name.toLowerCase()}`;
    let answer = this.asked.get(question);
    if (!answer) {
      answer = this.inner.resolve(name, type).then((a) => this.record(a, type));
      this.asked.set(question, answer);
    }
    return answer as Promise<DnsAnswer<T>>;
  }

  private record(answer: DnsAnswer, type: RRType): DnsAnswer {
    const key = `${type} ${answer.name}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      const entry: LookupRecord = { name: answer.name, type, status: answer.status, source: answer.source };
      if (answer.error) entry.error = answer.error;
      if (answer.servers && (answer.status === 'error' || answer.status === 'nxdomain')) entry.servers = answer.servers;
      this.lookups.push(entry);
    }
    return answer;
  }
}

/**
 * A Map that keeps at most `max` entries, dropping the least recently set or read. For per-run caches
 * keyed by name outside the DnsSource chain (the DNSSEC questions), so a list of millions of domains
 * does not keep one entry per domain forever.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number = DEFAULT_CACHE_ENTRIES) {
    super();
  }

  override get(key: K): V | undefined {
    const value = super.get(key);
    if (value !== undefined) {
      super.delete(key);
      super.set(key, value);
    }
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.max) super.delete(this.keys().next().value as K);
    return this;
  }
}
