import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
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

/** The longest line a list may have, in bytes (a domain name is at most 253; the rest is room for a comment). */
export const MAX_LIST_LINE_BYTES = 64 * 1024;

export interface LineOptions {
  /** Longer lines end the reading with an InputError (a file that never ends a line: /dev/zero). */
  maxBytes?: number;
  /** What is read, for the error: "input list domains.txt". */
  what?: string;
  /** Filled in as lines are read. */
  state?: LineState;
}

export interface LineState {
  /** Bytes up to and including the last line end read. */
  completeBytes: number;
  /** The input ended without a line end after its last line (that line was yielded). */
  unterminated: boolean;
}

/**
 * Lines of a stream, read lazily (the stream pauses while nobody asks for the next line). A line ends
 * at LF, CRLF or a lone CR. A line longer than `maxBytes` is an InputError: the reader never holds
 * more than that (plus one chunk) in memory.
 */
export async function* linesOf(input: AsyncIterable<Buffer | string>, options: LineOptions = {}): AsyncGenerator<string> {
  const maxBytes = options.maxBytes ?? MAX_LIST_LINE_BYTES;
  const state = options.state ?? { completeBytes: 0, unterminated: false };
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineNo = 0;
  const tooLong = () =>
    new InputError(`${options.what ?? 'input'}: line ${lineNo + 1} is longer than ${maxBytes} bytes${lineNo === 0 ? ' (is it a text file?)' : ''}`);
  function* split(text: string): Generator<string> {
    // A lone CR ends a line too (old Mac files); CRLF is one line end.
    const body = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (!body.includes('\r')) yield body;
    else yield* body.split('\r');
  }
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (partBytes + nl - start > maxBytes) throw tooLong();
      const piece = buf.subarray(start, nl);
      const line = partBytes ? Buffer.concat([...parts, piece]).toString('utf8') : piece.toString('utf8');
      state.completeBytes += partBytes + nl - start + 1;
      parts = [];
      partBytes = 0;
      start = nl + 1;
      for (const l of split(line)) {
        lineNo++;
        yield l;
      }
    }
    if (start < buf.length) {
      partBytes += buf.length - start;
      if (partBytes > maxBytes) throw tooLong();
      parts.push(buf.subarray(start));
    }
  }
  if (partBytes > 0) {
    state.unterminated = true;
    for (const l of split(Buffer.concat(parts).toString('utf8'))) yield l;
  }
}

/**
 * Opens a list: `-` is standard input, anything else a file. A file that cannot be opened is an
 * InputError (exit 2) raised before any domain is audited.
 */
export async function openList(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(new InputError(`cannot read input list ${path}: ${err.code ?? err.message}`)),
    );
  });
  return stream;
}
