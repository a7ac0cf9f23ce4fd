import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { InputError, parseDomainName, type DomainName } from './domain.js';

/** A domain read from a list, with the line it came from (1-based). */
export interface ListedDomain extends DomainName {
  line: number;
}

/** A line of a list that is not a domain name: reported, then skipped. */
export interface BadLine {
  line: number;
  text: string;
  reason: string;
}

export interface ReadListOptions {
  /** Called for each line that is not a valid domain name (the run goes on). */
  onBadLine?: (bad: BadLine) => void;
  /** Called for each name already seen earlier in the list. */
  onDuplicate?: (domain: ListedDomain) => void;
  /** Digests (nameDigest) of names seen before this list, e.g. those given on the command line. */
  seen?: Set<number>;
}

/**
 * A 48-bit digest of a normalized name. The sets that remember which names were seen (duplicates,
 * --resume) keep these numbers rather than the names: about 40 bytes per name instead of 100 or more,
 * with a collision chance of n²/2⁴⁹ (one in 5,000 for a million names; a collision skips a name).
 */
export function nameDigest(name: string): number {
  return createHash('sha1').update(name).digest().readUIntBE(0, 6);
}

/**
 * Reads a list of domains lazily, one per line: blank lines and `#` comments (whole-line or after the
 * name) are skipped, a bad line is reported through `onBadLine` and skipped, a name seen before is
 * skipped. Only the set of seen names (as digests) grows with the list.
 */
export async function* readDomainList(lines: AsyncIterable<string>, options: ReadListOptions = {}): AsyncGenerator<ListedDomain> {
  const seen = options.seen ?? new Set<number>();
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const hash = raw.indexOf('#');
    const text = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (text === '') continue;
    let domain: DomainName;
    try {
      domain = parseDomainName(text);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      options.onBadLine?.({ line: lineNo, text: raw, reason: err.message });
      continue;
    }
    const listed: ListedDomain = { ...domain, line: lineNo };
    const digest = nameDigest(domain.name);
    if (seen.has(digest)) {
      options.onDuplicate?.(listed);
      continue;
    }
    seen.add(digest);
    yield listed;
  }
}

/** Lines of a readable stream, read lazily (the stream pauses while nobody asks for the next line). */
export function linesOf(input: Readable): AsyncIterable<string> {
  return readline.createInterface({ input, crlfDelay: Infinity });
}

/**
 * Opens a list: `-` is standard input, anything else a file. A file that cannot be opened is an
 * InputError (exit 2) raised before any domain is audited.
 */
export async function openList(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  const stream = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(new InputError(`cannot read input list ${path}: ${err.code ?? err.message}`)),
    );
  });
  return stream;
}
