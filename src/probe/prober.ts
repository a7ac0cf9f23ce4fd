import type { SmtpProbeFact } from '../facts/smtp.js';
import { TrustStore } from './certificate.js';
import { converse, type ProbeTarget } from './smtp.js';

export const DEFAULT_SMTP_PORT = 25;
export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;
/** At most this many hosts of a domain's MX set are probed (RFC 5321 §5.1 lets senders stop there too). */
export const MAX_MX_PROBED = 10;
/** At most this many addresses of one MX host are probed (RFC 5321 §5.1: senders try a few of them). */
export const MAX_ADDRESSES_PER_HOST = 4;
/** Default minimum interval between two connections to one address (`--smtp-interval`): none. */
export const DEFAULT_SMTP_INTERVAL_MS = 0;
export const MAX_SMTP_INTERVAL_MS = 600_000;
/** Default of `--cert-expiry-days`: a certificate expiring within two weeks is a warning. */
export const DEFAULT_CERT_EXPIRY_DAYS = 14;
export const MAX_CERT_EXPIRY_DAYS = 3650;

export interface ProberOptions {
  ehloName: string;
  /** Bound on each step (connect, each reply, the handshake). */
  stepTimeoutMs?: number;
  /** Extra trusted CA certificates (PEM texts). */
  caPems?: string[];
  /** Connections open at once across the run (default 16). */
  maxConnections?: number;
  /** Bound on the probe of one domain, queueing included (default 12 × the step timeout). */
  domainDeadlineMs?: number;
  /** Minimum time between the starts of two connections to one address, across the run (`--smtp-interval`). */
  intervalMs?: number;
}

/** One conversation asked for: shared by every domain that waits for it, cancelled when none does any more. */
interface Entry {
  result: Promise<SmtpProbeFact>;
  waiters: number;
  cancel: AbortController;
  state: 'queued' | 'running' | 'done';
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** A conversation that was not held or not finished: neither a working server nor a broken one. */
export function notHeld(target: ProbeTarget, state: 'queued' | 'running', deadlineMs: number): SmtpProbeFact {
  return {
    ...target,
    outcome: 'undetermined',
    error: 'EDEADLINE',
    failedStep: 'deadline',
    notHeld: state === 'queued' ? 'queued' : 'cut-off',
    deadlineMs,
  };
}

/** Steps at which an outcome belongs to the address, not to the name we connected for. */
const ADDRESS_STEPS = new Set(['connect', 'greeting']);

/**
 * The probe of one run: one conversation per (host, address, port, mode), reused by every domain that
 * asks for it; at most one connection at a time to an address, at least `intervalMs` between two
 * connections to one address, and a cap on connections across the run. An address that could not be
 * reached or refused at the greeting keeps that outcome for every other name pointing at it.
 * A conversation nobody waits for any more is dropped (queued) or its socket destroyed (running).
 */
export class SmtpProber {
  readonly stepTimeoutMs: number;
  readonly ehloName: string;
  readonly domainDeadlineMs: number;
  readonly intervalMs: number;
  private readonly trust: TrustStore;
  private readonly maxConnections: number;
  private readonly entries = new Map<string, Entry>();
  /** Per address and port: a failure at connect or greeting, shared by every name on that address. */
  private readonly addressOutcomes = new Map<string, SmtpProbeFact>();
  /** Per address: the tail of its queue of conversations. */
  private readonly addressQueue = new Map<string, Promise<unknown>>();
  /** Per address: when the last connection to it started (performance.now()). */
  private readonly lastStart = new Map<string, number>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Conversations actually held (cache hits excluded; a 421 retry counts as its own). */
  connections = 0;
  /** Conversations not held because nobody waited for them any more. */
  dropped = 0;
  /** Largest number of simultaneous conversations with one address (stays 1). */
  maxPerAddress = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(options: ProberOptions) {
    this.ehloName = options.ehloName;
    this.stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
    this.trust = new TrustStore(options.caPems ?? []);
    this.maxConnections = options.maxConnections ?? 16;
    this.domainDeadlineMs = options.domainDeadlineMs ?? this.conversationDeadlineMs * 2;
    this.intervalMs = options.intervalMs ?? DEFAULT_SMTP_INTERVAL_MS;
  }

  /** How long one conversation may take at most: every step at its bound. */
  get conversationDeadlineMs(): number {
    return this.stepTimeoutMs * 6;
  }

  /**
   * The conversation with `target`, made once per run. When `signal` aborts before it is over, the
   * caller gets an `undetermined` fact at once; the conversation itself is cancelled when no caller
   * waits for it any more.
   */
  probe(target: ProbeTarget, signal?: AbortSignal): Promise<SmtpProbeFact> {
    const key = `${target.mode} ${target.host.toLowerCase()} ${target.address} ${target.port}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const cancel = new AbortController();
      const created: Entry = { cancel, waiters: 0, state: 'queued', result: Promise.resolve(undefined as never) };
      created.result = this.serialized(target.address, () => this.attempt(target, created)).finally(() => {
        created.state = 'done';
      });
      entry = created;
      this.entries.set(key, entry);
    }
    const mine = entry;
    mine.waiters++;
    // Each caller gets its own copy: collectors add per-domain fields to it.
    const result = mine.result.then((fact) => structuredClone(fact));
    if (!signal) return result;
    return new Promise<SmtpProbeFact>((resolve) => {
      const onAbort = () => {
        const state = mine.state === 'done' ? 'running' : mine.state;
        resolve(notHeld(target, state, this.domainDeadlineMs));
        if (--mine.waiters === 0 && mine.state !== 'done') {
          mine.cancel.abort();
          // A later domain asking for it starts afresh rather than inheriting a cancelled result.
          if (this.entries.get(key) === mine) this.entries.delete(key);
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void result.then((fact) => {
        signal.removeEventListener('abort', onAbort);
        resolve(fact);
      });
    });
  }

  private addressKey(target: ProbeTarget): string {
    return `${target.mode} ${target.address} ${target.port}`;
  }

  /** Runs when the address's turn comes: reuse what the address already said, keep the interval, then converse. */
  private async attempt(target: ProbeTarget, entry: Entry): Promise<SmtpProbeFact> {
    const signal = entry.cancel.signal;
    const known = this.addressOutcomes.get(this.addressKey(target));
    if (known) return { ...structuredClone(known), host: target.host, sameAddressAs: known.host };
    if (signal.aborted) return this.drop(target);
    return this.limited(signal, async () => {
      if (signal.aborted) return this.drop(target);
      entry.state = 'running';
      const fact = await this.run(target, signal);
      if (fact.error !== 'ECANCELLED' && ADDRESS_STEPS.has(fact.failedStep ?? '') && fact.outcome !== 'skipped') {
        this.addressOutcomes.set(this.addressKey(target), fact);
      }
      return fact;
    }).catch(() => this.drop(target));
  }

  private drop(target: ProbeTarget): SmtpProbeFact {
    this.dropped++;
    return notHeld(target, 'queued', this.domainDeadlineMs);
  }

  /** Waits until `intervalMs` has passed since the last connection to the address, then records this one. */
  private async spaced(address: string, signal: AbortSignal): Promise<boolean> {
    const last = this.lastStart.get(address);
    if (last !== undefined) await sleep(last + this.intervalMs - performance.now(), signal);
    if (signal.aborted) return false;
    this.lastStart.set(address, performance.now());
    return true;
  }

  private async run(target: ProbeTarget, signal: AbortSignal): Promise<SmtpProbeFact> {
    const n = (this.perAddress.get(target.address) ?? 0) + 1;
    this.perAddress.set(target.address, n);
    this.maxPerAddress = Math.max(this.maxPerAddress, n);
    const options = {
      ehloName: this.ehloName,
      stepTimeoutMs: this.stepTimeoutMs,
      deadlineMs: this.conversationDeadlineMs,
      trust: this.trust,
      signal,
      // The interval runs from when the server saw the connection, not from when connecting began.
      onConnected: () => this.lastStart.set(target.address, performance.now()),
    };
    try {
      if (!(await this.spaced(target.address, signal))) return notHeld(target, 'queued', this.domainDeadlineMs);
      this.connections++;
      const first = await converse(target, options);
      if (first.outcome !== 'greeting-refused' || first.failedReply?.code !== 421) return first;
      // RFC 5321 §4.2.5/§3.8: 421 is transient. One retry after a back-off bounded by the step timeout,
      // never sooner than the interval between connections to one address.
      const backoffMs = Math.max(this.intervalMs, Math.min(this.stepTimeoutMs / 2, 5000));
      if (backoffMs > this.stepTimeoutMs) return first;
      await sleep(backoffMs, signal);
      if (signal.aborted || !(await this.spaced(target.address, signal))) return first;
      this.connections++;
      const second = await converse(target, options);
      second.retriedAfterMs = Math.round(backoffMs);
      return second;
    } finally {
      this.perAddress.set(target.address, this.perAddress.get(target.address)! - 1);
    }
  }

  private serialized<T>(address: string, work: () => Promise<T>): Promise<T> {
    const before = this.addressQueue.get(address) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.addressQueue.set(address, tail);
    void tail.then(() => {
      if (this.addressQueue.get(address) === tail) this.addressQueue.delete(address);
    });
    return mine;
  }

  /** At most `maxConnections` at once; a cancelled waiter leaves the queue without taking a slot. */
  private async limited<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    // A finishing conversation hands its slot straight to the next one waiting.
    if (this.active >= this.maxConnections) {
      const got = await new Promise<boolean>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!got) throw new Error('cancelled while waiting for a connection slot');
    } else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** What a run asks of the probe, handed to each domain's collection. */
export interface SmtpProbeSettings {
  prober: SmtpProber;
  /** Probe the MX addresses (false with --no-smtp). */
  mx: boolean;
  /** Port for the MX probe (25). */
  port: number;
  /** --submission HOST. */
  submission?: string;
  submissionPorts?: { implicitTls: number; starttls: number };
  /** `--cert-expiry-days`: a certificate expiring sooner is reported. */
  certExpiryDays?: number;
}
