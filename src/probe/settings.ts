import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { AuditOptions } from '../run/options.js';
import { InputError, parseDomainName } from '../input/domain.js';
import {
  DEFAULT_CERT_EXPIRY_DAYS,
  DEFAULT_SMTP_INTERVAL_MS,
  DEFAULT_SMTP_PORT,
  DEFAULT_SMTP_TIMEOUT_MS,
  MAX_CERT_EXPIRY_DAYS,
  MAX_SMTP_INTERVAL_MS,
  SmtpProber,
  type SmtpProbeSettings,
} from './prober.js';

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** EHLO takes a domain or an address literal (RFC 5321 §4.1.1.1, §4.1.3). */
function checkEhloName(name: string): string {
  const literal = /^\[(.+)\]$/.exec(name);
  if (literal ? isIP(literal[1]!.replace(/^IPv6:/i, '')) !== 0 : HOST_NAME.test(name)) return name;
  throw new InputError(`--ehlo-name must be a host name or an address literal such as [192.0.2.1], got ${JSON.stringify(name)}`);
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError(`${name} must be a port number from 1 to 65535, got ${port}`);
  return port;
}

function checkRange(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new InputError(`${name} must be a whole number from 0 to ${max}, got ${value}`);
  return value;
}

/** `--cert-expiry-days`, checked (it applies to the MTA-STS policy host too, with or without the probe). */
export function certExpiryDaysOf(options: AuditOptions): number {
  return checkRange('--cert-expiry-days', options.certExpiryDays ?? DEFAULT_CERT_EXPIRY_DAYS, MAX_CERT_EXPIRY_DAYS);
}

/** Builds the run's SMTP prober, or nothing when neither the MX probe nor the submission probe is wanted. */
/** `caPems`: the extra trusted CAs of `--ca-file`, already read. */
export function prepareProbe(options: AuditOptions, caPems: string[] = []): SmtpProbeSettings | undefined {
  const mx = options.smtp ?? true;
  if (!mx && !options.submission) return undefined;
  const port = checkPort('--smtp-port', options.smtpPort ?? DEFAULT_SMTP_PORT);
  const timeout = options.smtpTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InputError(`--smtp-timeout must be a positive number, got ${timeout}`);
  // The machine's name by default; a name EHLO cannot carry (no dots are fine, spaces are not) falls back to localhost.
  const ehloName = options.ehloName !== undefined ? checkEhloName(options.ehloName) : HOST_NAME.test(hostname()) ? hostname() : 'localhost';
  let submission: string | undefined;
  if (options.submission) {
    const bare = options.submission.replace(/^\[(.*)\]$/, '$1');
    submission = isIP(bare) ? bare : parseDomainName(options.submission).name;
  }
  const intervalMs = checkRange('--smtp-interval', options.smtpIntervalMs ?? DEFAULT_SMTP_INTERVAL_MS, MAX_SMTP_INTERVAL_MS);
  const prober = new SmtpProber({ ehloName, stepTimeoutMs: timeout, caPems, intervalMs, domainDeadlineMs: options.smtpDomainDeadlineMs });
  const settings: SmtpProbeSettings = { prober, mx, port, certExpiryDays: certExpiryDaysOf(options) };
  if (submission) settings.submission = submission;
  if (options.submissionPorts) {
    settings.submissionPorts = {
      implicitTls: checkPort('submission port', options.submissionPorts.implicitTls),
      starttls: checkPort('submission port', options.submissionPorts.starttls),
    };
  }
  return settings;
}
