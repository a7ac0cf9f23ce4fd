import type { SmtpProbeFact } from '../facts/smtp.js';
import { TrustStore } from './certificate.js';
import { converse, type ProbeTarget } from './smtp.js';

export const DEFAULT_SMTP_PORT = 25;
export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;
/** At most this many hosts of a domain's MX set are probed (RFC 5321 §5.1 lets senders stop there too). */
export const MAX_MX_PROBED = 10;

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
}

/**
 * The probe of one run: one conversation per (host, address, port, mode), reused by every domain that
 * asks for it; at most one connection at a time to an address, and a cap on connections across the run.
 */
export class SmtpProber {
  readonly stepTimeoutMs: number;
  readonly ehloName: string;
  readonly domainDeadlineMs: number;
  private readonly trust: TrustStore;
  private readonly maxConnections: number;
  private readonly results = new Map<string, Promise<SmtpProbeFact>>();
  /** Per address: the tail of its queue of conversations. */
  private readonly addressQueue = new Map<string, Promise<unknown>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Conversations actually held (cache hits excluded). */
  connections = 0;
  /** Largest number of simultaneous conversations with one address (stays 1). */
  maxPerAddress = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(options: ProberOptions) {
    this.ehloName = options.ehloName;
    this.stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
    this.trust = new TrustStore(options.caPems ?? []);
    this.maxConnections = options.maxConnections ?? 16;
    this.domainDeadlineMs = options.domainDeadlineMs ?? this.conversationDeadlineMs * 2;
  }

  /** How long one conversation may take at most: every step at its bound. */
  get conversationDeadlineMs(): number {
    return this.stepTimeoutMs * 6;
  }

  /** The conversation with `target`, made once per run. */
  probe(target: ProbeTarget): Promise<SmtpProbeFact> {
    const key = `${target.mode} ${target.host.toLowerCase()} ${target.address} ${target.port}`;
    let result = this.results.get(key);
    if (!result) {
      result = this.serialized(target.address, () => this.limited(() => this.run(target)));
      this.results.set(key, result);
    }
    // Each caller gets its own copy: collectors add per-domain fields to it.
    return result.then((fact) => structuredClone(fact));
  }

  private async run(target: ProbeTarget): Promise<SmtpProbeFact> {
    this.connections++;
    const n = (this.perAddress.get(target.address) ?? 0) + 1;
    this.perAddress.set(target.address, n);
    this.maxPerAddress = Math.max(this.maxPerAddress, n);
    try {
      return await converse(target, {
        ehloName: this.ehloName,
        stepTimeoutMs: this.stepTimeoutMs,
        deadlineMs: this.conversationDeadlineMs,
        trust: this.trust,
      });
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

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    // A finishing conversation hands its slot straight to the next one waiting.
    if (this.active >= this.maxConnections) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
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
}
