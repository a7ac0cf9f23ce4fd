import { isIP } from 'node:net';
import type { SmtpProbeFact, SmtpReplyFact } from '../facts/smtp.js';
import { describeTls, type TrustStore } from './certificate.js';
import { NO_ROUTE_ERRORS, ProbeError, SmtpConnection } from './client.js';
import { authMechanisms, ehloKeywords } from './reply.js';

export interface ProbeTarget {
  /** The name the server should answer for: SNI and certificate name checks. */
  host: string;
  address: string;
  port: number;
  mode: 'starttls' | 'implicit-tls';
}

export interface ConversationOptions {
  ehloName: string;
  /** Bound on each step: connect, each reply, the TLS handshake. */
  stepTimeoutMs: number;
  /** Bound on the whole conversation. */
  deadlineMs: number;
  trust: TrustStore;
  /** Aborted when nobody waits for the conversation any more: the socket is destroyed at once. */
  signal?: AbortSignal;
  /** Called when the TCP connection is established (the prober spaces connections from then). */
  onConnected?: () => void;
}

/** The enhanced status code at the start of a reply's text (RFC 3463 §2, RFC 2034), when its class matches the reply's. */
export function enhancedCodeOf(reply: SmtpReplyFact): string | undefined {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/.exec(reply.lines[0] ?? '');
  return m && m[1] === String(reply.code)[0] ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** Greeting codes that mean "not now" (421, RFC 5321 §3.8) or "not for you" (554, §3.1): the server is neither broken nor working. */
const REFUSING_GREETINGS = new Set([421, 554]);

const codeOf = (err: unknown) => (err instanceof ProbeError ? err.code : ((err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN'));

/**
 * One conversation with one address (RFC 5321, RFC 3207; RFC 8314 for implicit TLS):
 * greeting, EHLO, STARTTLS, TLS handshake, EHLO again, QUIT. Never MAIL, RCPT, DATA or AUTH.
 * Never throws: every outcome is a fact.
 */
export async function converse(target: ProbeTarget, options: ConversationOptions): Promise<SmtpProbeFact> {
  const fact: SmtpProbeFact = { host: target.host, address: target.address, port: target.port, mode: target.mode, outcome: 'unreachable' };
  let conn: SmtpConnection;
  try {
    const opened = await SmtpConnection.connect(target.address, target.port, Math.min(options.stepTimeoutMs, options.deadlineMs), options.signal);
    conn = opened.conn;
    fact.connectMs = opened.connectMs;
    options.onConnected?.();
  } catch (err) {
    const code = codeOf(err);
    fact.outcome = NO_ROUTE_ERRORS.has(code) ? 'skipped' : 'unreachable';
    fact.error = code;
    fact.failedStep = 'connect';
    return fact;
  }
  let step = 'greeting';
  const deadline = setTimeout(() => conn.abort(new ProbeError('EDEADLINE', `conversation longer than ${options.deadlineMs} ms`)), options.deadlineMs);
  const cancel = () => conn.abort(new ProbeError('ECANCELLED', 'nobody waits for this conversation any more'));
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancel();
  const refused = (reply: SmtpReplyFact) => {
    const enhanced = enhancedCodeOf(reply);
    fact.failedReply = enhanced ? { ...reply, enhancedCode: enhanced } : reply;
    fact.failedStep = step;
  };
  try {
    const tlsOptions = { servername: isIP(target.host) ? undefined : target.host, ca: options.trust.caOption };
    if (target.mode === 'implicit-tls') {
      step = 'handshake';
      fact.outcome = 'tls-failed';
      const secure = await conn.upgrade(tlsOptions);
      fact.tls = describeTls(secure, target.host, options.trust);
      fact.outcome = 'tls';
      step = 'greeting';
    }
    const greeting = await conn.readReply();
    fact.greeting = greeting;
    fact.greetingHost = (greeting.lines[0] ?? '').trim().split(/\s+/)[0] || undefined;
    if (greeting.code !== 220) {
      fact.outcome = REFUSING_GREETINGS.has(greeting.code) ? 'greeting-refused' : 'no-banner';
      refused(greeting);
      if (fact.outcome === 'greeting-refused') fact.refusal = [greeting.code, fact.failedReply?.enhancedCode].filter(Boolean).join(' ');
      // RFC 5321 §3.1: after a 554 greeting the client sends QUIT.
      await conn.quit();
      return fact;
    }
    step = 'ehlo';
    const ehlo = await conn.command({ verb: 'EHLO', name: options.ehloName });
    if (ehlo.code !== 250) {
      fact.outcome = 'ehlo-failed';
      refused(ehlo);
      await conn.quit();
      return fact;
    }
    const keywords = ehloKeywords(ehlo);
    if (target.mode === 'implicit-tls') {
      fact.ehloTls = keywords;
      const auth = authMechanisms(keywords);
      if (auth) fact.authAfterTls = auth;
      fact.outcome = 'tls';
      await conn.quit();
      return fact;
    }
    fact.ehlo = keywords;
    fact.starttlsOffered = keywords.includes('STARTTLS');
    const auth = authMechanisms(keywords);
    if (auth) fact.authBeforeTls = auth;
    if (!fact.starttlsOffered) {
      fact.outcome = 'no-starttls';
      await conn.quit();
      return fact;
    }
    step = 'starttls';
    fact.outcome = 'tls-failed';
    const go = await conn.command({ verb: 'STARTTLS' });
    if (go.code !== 220) {
      refused(go);
      await conn.quit();
      return fact;
    }
    step = 'handshake';
    const secure = await conn.upgrade(tlsOptions);
    fact.tls = describeTls(secure, target.host, options.trust);
    fact.outcome = 'tls';
    step = 'ehlo-tls';
    // RFC 3207 §4.2: the client discards what it knew and asks EHLO again.
    const ehloTls = await conn.command({ verb: 'EHLO', name: options.ehloName });
    if (ehloTls.code === 250) {
      fact.ehloTls = ehloKeywords(ehloTls);
      const authTls = authMechanisms(fact.ehloTls);
      if (authTls) fact.authAfterTls = authTls;
    } else refused(ehloTls);
    await conn.quit();
    return fact;
  } catch (err) {
    // A step failed: the outcome set before the step stands (a greeting that never came is no-banner).
    if (step === 'greeting') fact.outcome = 'no-banner';
    if (step === 'ehlo') fact.outcome = 'ehlo-failed';
    fact.error = codeOf(err);
    fact.failedStep = step;
    conn.close();
    return fact;
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', cancel);
  }
}
