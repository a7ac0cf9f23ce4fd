import type { SmtpReplyFact } from '../facts/smtp.js';

/** Caps on what a server may send as one reply: RFC 5321 §4.5.3.1.5 sets 512 octets per reply line. */
export const MAX_REPLY_LINE = 2048;
export const MAX_REPLY_LINES = 100;
export const MAX_REPLY_BYTES = 32 * 1024;

/** The server sent something that is not an SMTP reply, or too much of it. */
export class ReplyError extends Error {
  constructor(readonly code: 'EPROTO' | 'ETOOBIG', message: string) {
    super(message);
  }
}

const LINE = /^(\d{3})(?:([ -])(.*))?$/s;

/**
 * Reads SMTP replies out of a byte stream (RFC 5321 §4.2): `ddd-text` lines continue a reply,
 * `ddd text` (or a bare `ddd`) ends it. Lines end in CRLF; a bare LF is accepted too.
 */
export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  /** Bytes received and not yet consumed by a reply. */
  get pending(): number {
    return this.buffer.length;
  }

  discard(): number {
    const n = this.buffer.length;
    this.buffer = Buffer.alloc(0);
    return n;
  }

  /** The next complete reply, undefined when more bytes are needed; throws ReplyError on garbage or excess. */
  next(): SmtpReplyFact | undefined {
    const lines: string[] = [];
    let code: number | undefined;
    let offset = 0;
    for (;;) {
      const nl = this.buffer.indexOf(0x0a, offset);
      if (nl < 0) {
        if (this.buffer.length - offset > MAX_REPLY_LINE) throw new ReplyError('ETOOBIG', `reply line longer than ${MAX_REPLY_LINE} octets`);
        if (this.buffer.length > MAX_REPLY_BYTES) throw new ReplyError('ETOOBIG', `reply longer than ${MAX_REPLY_BYTES} octets`);
        return undefined;
      }
      if (nl - offset > MAX_REPLY_LINE) throw new ReplyError('ETOOBIG', `reply line longer than ${MAX_REPLY_LINE} octets`);
      const raw = this.buffer.subarray(offset, nl).toString('utf8').replace(/\r$/, '');
      offset = nl + 1;
      const m = LINE.exec(raw);
      if (!m) throw new ReplyError('EPROTO', `not an SMTP reply line: ${JSON.stringify(raw.slice(0, 80))}`);
      const lineCode = Number(m[1]);
      code ??= lineCode;
      // RFC 5321 §4.2.1: every line of a reply carries the same code.
      if (lineCode !== code) throw new ReplyError('EPROTO', `reply lines with different codes (${code}, ${lineCode})`);
      lines.push(m[3] ?? '');
      if (lines.length > MAX_REPLY_LINES) throw new ReplyError('ETOOBIG', `reply of more than ${MAX_REPLY_LINES} lines`);
      if (offset > MAX_REPLY_BYTES) throw new ReplyError('ETOOBIG', `reply longer than ${MAX_REPLY_BYTES} octets`);
      if (m[2] !== '-') {
        this.buffer = this.buffer.subarray(offset);
        return { code, lines };
      }
    }
  }
}

/**
 * EHLO keywords (RFC 5321 §4.1.1.1): the lines after the first, keyword upper-cased, parameters as sent.
 */
export function ehloKeywords(reply: SmtpReplyFact): string[] {
  return reply.lines
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      // `AUTH=PLAIN LOGIN` is the pre-standard spelling of `AUTH PLAIN LOGIN`.
      const m = /^([^\s=]+)(?:[\s=]+(.*))?$/.exec(l)!;
      return m[2] ? `${m[1]!.toUpperCase()} ${m[2].trim()}` : m[1]!.toUpperCase();
    });
}

/** The AUTH mechanisms of an EHLO reply (RFC 4954 §3; `AUTH=` is the pre-standard spelling some servers still send). */
export function authMechanisms(keywords: string[]): string[] | undefined {
  const auth = keywords.filter((k) => k === 'AUTH' || k.startsWith('AUTH '));
  if (auth.length === 0) return undefined;
  const mechanisms = new Set(auth.flatMap((k) => k.split(' ').slice(1).map((m) => m.toUpperCase())).filter(Boolean));
  return [...mechanisms];
}
