import type { DnsAnswer, DnsSource, RRType } from './types.js';

/**
 * Asks each question once per run: concurrent identical questions share the one in flight,
 * later ones get the stored answer. Failed answers are kept too, so one timeout is not paid twice.
 */
export class CachingDnsSource implements DnsSource {
  private readonly answers = new Map<string, Promise<DnsAnswer>>();
  constructor(private readonly inner: DnsSource) {}

  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const key = `${type} ${name.toLowerCase()}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.inner.resolve(name.toLowerCase(), type);
      this.answers.set(key, answer);
    }
    return answer as Promise<DnsAnswer<T>>;
  }

  get size(): number {
    return this.answers.size;
  }
}

/** One lookup as the facts report it. */
export interface LookupRecord {
  name: string;
  type: RRType;
  status: DnsAnswer['status'];
  error?: string;
  source: DnsAnswer['source'];
}

/** Records every question asked on behalf of one audited domain (for its facts), in order of asking. */
export class RecordingDnsSource implements DnsSource {
  readonly lookups: LookupRecord[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly inner: DnsSource) {}

  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const answer = await this.inner.resolve(name, type);
    const key = `${type} ${answer.name}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      const entry: LookupRecord = { name: answer.name, type, status: answer.status, source: answer.source };
      if (answer.error) entry.error = answer.error;
      this.lookups.push(entry);
    }
    return answer;
  }
}
