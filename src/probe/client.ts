import net from 'node:net';
import tls from 'node:tls';
import type { SmtpReplyFact } from '../facts/smtp.js';
import { MAX_REPLY_BYTES, ReplyError, ReplyParser } from './reply.js';

/** A step of the conversation that went wrong: a socket error code, a timeout, garbage from the server. */
export class ProbeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The only commands this client can send. There is deliberately no way to send anything else. */
export type SmtpCommand = { verb: 'EHLO'; name: string } | { verb: 'STARTTLS' } | { verb: 'QUIT' };

/** Connect errors that mean this machine has no way to the address: not the server's fault. */
export const NO_ROUTE_ERRORS = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENETDOWN']);

export interface TlsUpgradeOptions {
  /** SNI; omitted for an IP address. */
  servername?: string;
  /** Trusted CA certificates (PEM); undefined = node's default store. */
  ca?: string[];
}

/**
 * A minimal SMTP client conversation over node:net/node:tls. Every wait is bounded by `stepTimeoutMs`;
 * `close()` ends everything. It sends only EHLO, STARTTLS and QUIT.
 */
export class SmtpConnection {
  private socket: net.Socket;
  private readonly parser = new ReplyParser();
  private failure: ProbeError | undefined;
  private wake: (() => void) | undefined;
  private onAbort: ((err: ProbeError) => void) | undefined;
  /** Plaintext bytes the server sent after its 220 to STARTTLS (discarded, RFC 3207 §4.2). */
  discardedAfterStarttls = 0;

  private constructor(
    socket: net.Socket,
    private readonly stepTimeoutMs: number,
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Opens a TCP connection; rejects with ProbeError (ECONNREFUSED, ETIMEDOUT, ENETUNREACH, …). */
  static connect(address: string, port: number, stepTimeoutMs: number, signal?: AbortSignal): Promise<{ conn: SmtpConnection; connectMs: number }> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new ProbeError('ECANCELLED', 'nobody waits for this conversation any more'));
      const socket = net.connect({ host: address, port, noDelay: true });
      const onAbort = () => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ProbeError('ECANCELLED', 'nobody waits for this conversation any more'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(new ProbeError('ETIMEDOUT', `no TCP connection within ${stepTimeoutMs} ms`));
      }, stepTimeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        socket.destroy();
        reject(new ProbeError(err.code ?? 'ECONNECT', err.message));
      });
      socket.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve({ conn: new SmtpConnection(socket, stepTimeoutMs), connectMs: Math.round(performance.now() - started) });
      });
    });
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk);
      // Whatever the state of the conversation, a server cannot make the client hold more than this.
      if (this.parser.pending > 2 * MAX_REPLY_BYTES) return this.abort(new ProbeError('ETOOBIG', 'the server sent more than a reply can hold'));
      this.notify();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new ProbeError(err.code ?? 'ESOCKET', err.message)));
    socket.on('close', () => this.fail(new ProbeError('ECLOSED', 'the server closed the connection')));
  }

  private fail(err: ProbeError): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for the next complete reply, at most one step timeout. */
  readReply(timeoutMs = this.stepTimeoutMs): Promise<SmtpReplyFact> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new ProbeError('ETIMEDOUT', `no complete reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const attempt = () => {
        try {
          const reply = this.parser.next();
          if (reply) {
            clearTimeout(timer);
            return resolve(reply);
          }
        } catch (err) {
          clearTimeout(timer);
          const e = err as ReplyError;
          this.fail(new ProbeError(e.code, e.message));
          return reject(new ProbeError(e.code, e.message));
        }
        if (this.failure) {
          clearTimeout(timer);
          return reject(this.failure);
        }
        this.wake = attempt;
      };
      attempt();
    });
  }

  /** Sends one command and reads its reply. */
  async command(cmd: SmtpCommand, timeoutMs = this.stepTimeoutMs): Promise<SmtpReplyFact> {
    if (this.failure) throw this.failure;
    let line: string;
    if (cmd.verb === 'EHLO') {
      if (!/^[\x21-\x7e]+$/.test(cmd.name)) throw new ProbeError('EINVAL', 'EHLO name must be printable ASCII without spaces');
      line = `EHLO ${cmd.name}`;
    } else line = cmd.verb;
    this.socket.write(`${line}\r\n`);
    return this.readReply(timeoutMs);
  }

  /**
   * Runs the TLS handshake over the connection (after a 220 to STARTTLS, or at once for implicit TLS).
   * Certificates are not rejected here: they are examined afterwards. Rejects with ProbeError.
   */
  upgrade(options: TlsUpgradeOptions): Promise<tls.TLSSocket> {
    if (this.failure) return Promise.reject(this.failure);
    // Anything the server sent after its 220 was sent in plaintext: it must not be read as a reply.
    this.discardedAfterStarttls = this.parser.discard();
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      const secure = tls.connect({
        socket: raw,
        servername: options.servername,
        ca: options.ca,
        rejectUnauthorized: false,
        // Name coverage is checked separately, so that `authorized` is about the chain only.
        checkServerIdentity: () => undefined,
        // A probe must see what the server negotiates, old protocols included (reported, not accepted).
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
      const timer = setTimeout(() => {
        this.onAbort = undefined;
        secure.destroy();
        reject(new ProbeError('ETIMEDOUT', `no TLS handshake within ${this.stepTimeoutMs} ms`));
      }, this.stepTimeoutMs);
      this.onAbort = (err) => {
        clearTimeout(timer);
        secure.destroy();
        reject(err);
      };
      secure.once('error', (err: NodeJS.ErrnoException) => {
        this.onAbort = undefined;
        clearTimeout(timer);
        secure.destroy();
        const e = new ProbeError(err.code ?? 'ETLS', err.message);
        this.fail(e);
        reject(e);
      });
      secure.once('secureConnect', () => {
        this.onAbort = undefined;
        clearTimeout(timer);
        secure.removeAllListeners('error');
        this.socket = secure;
        this.listen(secure);
        resolve(secure);
      });
    });
  }

  /** Says QUIT and waits (briefly) for the answer, then closes. Never throws. */
  async quit(): Promise<void> {
    try {
      if (!this.failure) await this.command({ verb: 'QUIT' }, Math.min(this.stepTimeoutMs, 2000));
    } catch {
      // The server may close before answering QUIT; nothing to learn from that.
    }
    this.close();
  }

  close(): void {
    this.abort(new ProbeError('ECLOSED', 'closed by the client'));
  }

  /** Ends the conversation now: whatever is waiting fails with `err`. */
  abort(err: ProbeError): void {
    this.failure ??= err;
    this.socket.destroy();
    const onAbort = this.onAbort;
    this.onAbort = undefined;
    onAbort?.(this.failure);
    this.notify();
  }
}
