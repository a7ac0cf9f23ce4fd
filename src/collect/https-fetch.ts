/**
 * Fetches one https URL the way MTA-STS senders must (RFC 8461 §3.3): the host name resolved through
 * the run's DnsSource, a certificate valid for that name, no redirects, a size cap (reading stops
 * beyond it), and every wait bounded. Used for MTA-STS policies and BIMI logos.
 */
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { FetchFact, FetchStage } from '../facts/index.js';
import type { CollectContext } from './context.js';
import { addressesOf } from './mx.js';

/** How the run fetches over HTTPS; options a user can set (`--https-port`, `--ca-file`, `--http-timeout`). */
export interface HttpsSettings {
  /** Port to connect to (443; another for servers under test). */
  port: number;
  /** Trusted CAs, built once per run (node's roots plus --ca-file). Undefined: node's bundled roots. */
  secureContext?: SecureContext;
  /** Bound on connecting, the TLS handshake, and on the whole response, in ms. */
  timeoutMs: number;
  /** `--cert-expiry-days`: a server certificate expiring sooner is marked (default 14). */
  certExpiryDays?: number;
}

export const DEFAULT_HTTPS_SETTINGS: HttpsSettings = { port: 443, timeoutMs: 10_000 };

export interface FetchRequest {
  host: string;
  path: string;
  /** A port named in the URL itself; otherwise the run's port (443 unless --https-port). */
  port?: number;
  maxBytes: number;
  /** Accepted media types (compared without parameters, case-insensitively); undefined = any. */
  contentTypes?: string[];
}

export interface FetchResult {
  fact: FetchFact;
  body?: Buffer;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|EPROTO)/;

function failed(fact: FetchFact, stage: FetchStage, reason: string): FetchResult {
  return { fact: { ...fact, status: 'failed', stage, reason } };
}

/** The server certificate's end date, and whether it falls within `days` (the certificate was verified: it is valid now). */
function markCertExpiry(fact: FetchFact, notAfter: Date, days: number): void {
  if (Number.isNaN(notAfter.getTime())) return;
  const left = (notAfter.getTime() - Date.now()) / 86_400_000;
  fact.certNotAfter = notAfter.toISOString();
  fact.certDaysLeft = Math.floor(left);
  if (left < days) fact.certExpiresSoon = true;
}

/** GET https://host/path through ctx.dns, with the run's HTTPS settings. Never throws. */
export async function fetchHttps(ctx: CollectContext, req: FetchRequest): Promise<FetchResult> {
  const settings = { ...(ctx.https ?? DEFAULT_HTTPS_SETTINGS), ...(req.port ? { port: req.port } : {}) };
  const url = `https://${req.host}${settings.port === 443 ? '' : `:${settings.port}`}${req.path}`;
  const fact: FetchFact = { url, host: req.host, status: 'failed' };
  const resolved = await addressesOf(ctx, req.host);
  if (resolved.status === 'undetermined') {
    return { fact: { ...fact, status: 'undetermined', stage: 'dns', reason: `the address lookup of ${req.host} failed` } };
  }
  const address = resolved.addresses[0];
  if (!address) return failed(fact, 'dns', `${req.host} has no A or AAAA record`);
  fact.address = address;
  return new Promise<FetchResult>((resolve) => {
    let settled = false;
    let phase: 'tcp' | 'tls' | 'http' = 'tcp';
    const family = isIP(address);
    const lookup: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const finish = (result: FetchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      resolve(result);
    };
    const request = https.request({
      host: req.host,
      servername: req.host,
      port: settings.port,
      path: req.path,
      method: 'GET',
      headers: { 'user-agent': 'mailaudit', accept: req.contentTypes?.join(', ') ?? '*/*' },
      lookup,
      agent: false,
      secureContext: settings.secureContext,
      rejectUnauthorized: true,
      timeout: settings.timeoutMs,
    } as https.RequestOptions);
    const deadline = setTimeout(() => {
      const during = phase === 'tcp' ? 'connecting' : phase === 'tls' ? 'the TLS handshake' : 'reading the response';
      finish(failed(fact, 'timeout', `no progress within ${settings.timeoutMs} ms while ${during} (${address}:${settings.port})`));
    }, settings.timeoutMs);
    request.on('socket', (socket) => {
      socket.once('connect', () => (phase = 'tls'));
      (socket as TLSSocket).once('secureConnect', () => {
        phase = 'http';
        const validTo = (socket as TLSSocket).getPeerCertificate()?.valid_to;
        if (validTo) markCertExpiry(fact, new Date(validTo), settings.certExpiryDays ?? 14);
      });
    });
    request.on('timeout', () => request.emit('error', Object.assign(new Error('idle timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      if (code === 'ETIMEDOUT') {
        const during = phase === 'tcp' ? 'connecting' : phase === 'tls' ? 'the TLS handshake' : 'reading the response';
        finish(failed(fact, 'timeout', `no progress within ${settings.timeoutMs} ms while ${during} (${address}:${settings.port})`));
      } else if (phase === 'tcp' && !TLS_CODES.test(code)) {
        finish(failed(fact, 'tcp', `cannot connect to ${address}:${settings.port} (${code})`));
      } else if (phase !== 'http' || TLS_CODES.test(code)) {
        finish(failed(fact, 'tls', `TLS with ${req.host} failed: ${code} ${err.message}`.trim()));
      } else {
        finish(failed(fact, 'http-status', `the connection failed while reading the response (${code})`));
      }
    });
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      const base: FetchFact = { ...fact, httpStatus: status };
      if (contentType) base.contentType = contentType;
      if (status >= 300 && status < 400) {
        const to = res.headers.location ? ` to ${res.headers.location}` : '';
        return finish(failed(base, 'redirect', `HTTP ${status} redirect${to}: redirects are not followed (RFC 8461 §3.3)`));
      }
      if (status !== 200) return finish(failed(base, 'http-status', `HTTP status ${status} (200 expected)`));
      const media = contentType.split(';')[0]!.trim().toLowerCase();
      if (req.contentTypes && !req.contentTypes.includes(media)) {
        return finish(failed(base, 'content-type', `Content-Type is ${JSON.stringify(contentType || '(none)')}, expected ${req.contentTypes.join(' or ')}`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        return finish(failed({ ...base, bytes: 0 }, 'size', `Content-Length ${declared} exceeds the ${req.maxBytes}-byte limit`));
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > req.maxBytes) {
          finish(failed({ ...base, bytes }, 'size', `the body exceeds the ${req.maxBytes}-byte limit (stopped reading at ${bytes})`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ fact: { ...base, status: 'ok', bytes }, body: Buffer.concat(chunks) }));
      res.on('error', (err: NodeJS.ErrnoException) =>
        finish(failed({ ...base, bytes }, 'http-status', `the response broke off (${err.code ?? err.message})`)),
      );
    });
    request.end();
  });
}
