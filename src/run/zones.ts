import { basename } from 'node:path';
import type { DnsSource } from '../dns/types.js';
import { ZoneDnsSource } from '../dns/zone-source.js';
import { parseZone, ZoneSyntaxError } from '../dns/zonefile.js';
import type { ZoneContext } from '../facts/index.js';
import { InputError, parseDomainName } from '../input/domain.js';
import { MAX_ZONE_FILE_BYTES, readTextCapped } from '../input/read-capped.js';

/** Best guess at the origin of a zone file that does not parse: the first $ORIGIN or SOA owner, else the file name. */
function guessOrigin(text: string, file: string): string | undefined {
  const directive = /^\$ORIGIN\s+(\S+)/im.exec(text);
  if (directive) return directive[1]!.replace(/\.$/, '').toLowerCase();
  const soa = /^([A-Za-z0-9._-]+\.)\s+(?:\d+\s+)?(?:IN\s+)?(?:\d+\s+)?SOA\b/im.exec(text);
  if (soa) return soa[1]!.replace(/\.$/, '').toLowerCase();
  const base = basename(file).replace(/\.(zone|db|txt)$/i, '').replace(/^db\./i, '');
  try {
    return parseDomainName(base).name;
  } catch {
    return undefined;
  }
}

/** `--zone -`: the zone is read from standard input and named this in findings. */
export const STDIN_ZONE_NAME = '(stdin)';
/** Most bytes of a zone read from standard input (a file's size is the user's own business). */
const MAX_STDIN_ZONE_BYTES = 64 * 1024 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_ZONE_BYTES) throw new InputError(`zone on stdin is over ${MAX_STDIN_ZONE_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readZone(path: string, domainHint: string | undefined, fallback: DnsSource): Promise<{ context: ZoneContext; source?: ZoneDnsSource }> {
  let text: string;
  const file = path === '-' ? STDIN_ZONE_NAME : path;
  try {
    text = path === '-' ? await readStdin() : readTextCapped(file, MAX_ZONE_FILE_BYTES);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read zone file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const zone = parseZone(text, { file, origin: domainHint });
    if (!zone.origin) throw new InputError(`zone file ${file} has no $ORIGIN or SOA: give its origin with --origin NAME or as the domain`);
    const context: ZoneContext = { file, origin: zone.origin, line: zone.soa?.origin.line ?? (zone.firstRecordLine || 1) };
    return { context, source: new ZoneDnsSource(zone, fallback) };
  } catch (err) {
    if (!(err instanceof ZoneSyntaxError)) throw err;
    const origin = domainHint ?? guessOrigin(text, file);
    if (!origin) {
      if (/no origin is known/.test(err.reason)) {
        throw new InputError(`zone file ${file} has no $ORIGIN or SOA: give its origin with --origin NAME or as the domain`);
      }
      throw new InputError(`zone file ${err.message} (and no origin is known: give it with --origin NAME or as the domain)`);
    }
    const syntaxError = { file, line: err.line, reason: err.reason, origin: { file, line: err.line } };
    return { context: { file, origin, line: err.line, syntaxError } };
  }
}

/**
 * Reads every zone file of a run and lays them over `fallback` so that the deepest zone answers
 * first (a child zone's file wins over its parent's). `hint` is the origin of a lone file without
 * $ORIGIN or SOA. Throws InputError for an unreadable file or two files for one origin.
 */
export async function readZones(files: readonly string[], hint: string | undefined, fallback: DnsSource): Promise<{ zones: ZoneContext[]; dns: DnsSource }> {
  const read = await Promise.all(files.map((f) => readZone(f, hint, fallback)));
  const zones = read.map((r) => r.context);
  const byOrigin = new Map<string, string>();
  for (const z of zones) {
    const other = byOrigin.get(z.origin);
    if (other !== undefined) throw new InputError(`zone files ${other} and ${z.file} are both for ${z.origin || 'the root'}: give one file per zone`);
    byOrigin.set(z.origin, z.file);
  }
  let dns = fallback;
  for (const r of [...read].filter((r) => r.source).sort((a, b) => a.context.origin.length - b.context.origin.length)) {
    dns = new ZoneDnsSource(r.source!.zone, dns);
  }
  return { zones, dns };
}

/** The zone a domain belongs to: the one with the longest origin at or above it. */
export function zoneFor(zones: readonly ZoneContext[], domain: string): ZoneContext | undefined {
  let best: ZoneContext | undefined;
  for (const z of zones) {
    if (domain !== z.origin && !domain.endsWith(`.${z.origin}`)) continue;
    if (!best || z.origin.length > best.origin.length) best = z;
  }
  return best;
}
