import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * JSON written in pieces, so that no single string has to hold a whole report (V8 caps a string at
 * about 512 MiB, and a report a record made huge would end in "Invalid string length" with every
 * domain's report lost).
 *
 * `jsonChunks(value, indent)` yields exactly the text of `JSON.stringify(value, null, indent)`, cut
 * into chunks of about `chunkSize` characters (a leaf value longer than that is one chunk).
 * `JsonStreamWriter` writes a document whose top-level array is only known item by item (the
 * domains of a report as they finish): open it with the fields before the array, add each item,
 * close it with the fields after.
 */

export const JSON_CHUNK_SIZE = 64 * 1024;

function isSkipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** The pieces of `JSON.stringify(value, null, indent)`, in order, each about `chunkSize` characters. */
export function* jsonChunks(value: unknown, indent = 2, chunkSize = JSON_CHUNK_SIZE, baseDepth = 0): Generator<string> {
  const pad = ' '.repeat(indent);
  let buffer = '';
  function* walk(v: unknown, key: string, depth: number): Generator<string> {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(key: string): unknown }).toJSON(key);
    }
    if (v === null || typeof v !== 'object') {
      buffer += JSON.stringify(v) ?? 'null';
    } else {
      const inner = indent ? `\n${pad.repeat(depth + 1)}` : '';
      const outer = indent ? `\n${pad.repeat(depth)}` : '';
      const colon = indent ? ': ' : ':';
      if (Array.isArray(v)) {
        if (v.length === 0) buffer += '[]';
        else {
          buffer += '[';
          for (let i = 0; i < v.length; i++) {
            buffer += i === 0 ? inner : `,${inner}`;
            const item: unknown = v[i];
            if (isSkipped(item)) buffer += 'null';
            else yield* walk(item, String(i), depth + 1);
          }
          buffer += `${outer}]`;
        }
      } else {
        let first = true;
        for (const k of Object.keys(v)) {
          const item = (v as Record<string, unknown>)[k];
          if (isSkipped(item)) continue;
          buffer += first ? `{${inner}` : `,${inner}`;
          first = false;
          buffer += `${JSON.stringify(k)}${colon}`;
          yield* walk(item, k, depth + 1);
        }
        buffer += first ? '{}' : `${outer}}`;
      }
    }
    if (buffer.length >= chunkSize) {
      const out = buffer;
      buffer = '';
      yield out;
    }
  }
  yield* walk(value, '', baseDepth);
  if (buffer) yield buffer;
}

/** Writes `text` to `out`, waiting for it to drain when its buffer is full; rejects if the stream fails. */
export async function writeWithBackpressure(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return;
  const [event] = (await Promise.race([once(out, 'drain').then(() => ['drain']), once(out, 'error')])) as unknown[];
  if (event !== 'drain') throw event as Error;
}

/** Writes `value` as `JSON.stringify(value, null, indent)` would, chunk by chunk, with backpressure. */
export async function writeJson(out: Writable, value: unknown, indent = 2): Promise<void> {
  for (const chunk of jsonChunks(value, indent)) await writeWithBackpressure(out, chunk);
}

/**
 * A JSON object with one array field written item by item:
 * `{ ...head, [field]: [item, item, ...], ...tail }`, byte for byte as JSON.stringify(…, null, indent)
 * writes the same object. Used for the report's `domains`. An object nested deeper (SARIF's single
 * run inside `runs`, with its `results` written result by result) is written with `depth` set to its
 * nesting level, the text around it written with `write` directly.
 */
export class JsonStreamWriter {
  private items = 0;
  private readonly pad: string;

  /**
   * @param write where the text goes (with backpressure: the promise resolves once it may go on)
   * @param depth how deep the object is nested in an enclosing document (0 at the top)
   */
  constructor(
    private readonly write: (text: string) => Promise<void>,
    private readonly indent = 2,
    private readonly depth = 0,
  ) {
    this.pad = ' '.repeat(indent);
  }

  private nl(depth: number): string {
    return this.indent ? `\n${this.pad.repeat(depth)}` : '';
  }

  private async writeValue(value: unknown, depth: number): Promise<void> {
    for (const chunk of jsonChunks(value, this.indent, JSON_CHUNK_SIZE, depth)) await this.write(chunk);
  }

  /** Writes `{`, the fields of `head` (in their order), and opens `field`'s array. */
  async open(head: Record<string, unknown>, field: string): Promise<void> {
    let text = '{';
    const colon = this.indent ? ': ' : ':';
    for (const [k, v] of Object.entries(head)) {
      if (isSkipped(v)) continue;
      await this.write(`${text}${this.nl(this.depth + 1)}${JSON.stringify(k)}${colon}`);
      await this.writeValue(v, this.depth + 1);
      text = ',';
    }
    await this.write(`${text}${this.nl(this.depth + 1)}${JSON.stringify(field)}${colon}[`);
  }

  /**
   * Writes one item of the array. An item (one domain's report, one SARIF result) is bounded by the
   * caps on facts and findings, so it is stringified natively — several times faster than
   * jsonChunks, and far less garbage — and indented to its depth: JSON.stringify escapes every line
   * break inside a string, so each raw line break is one of its own indentation.
   */
  async item(value: unknown): Promise<void> {
    await this.write(`${this.items++ === 0 ? '' : ','}${this.nl(this.depth + 2)}`);
    const text = JSON.stringify(isSkipped(value) ? null : value, null, this.indent) ?? 'null';
    const indented = this.indent ? text.replaceAll('\n', this.nl(this.depth + 2)) : text;
    for (let i = 0; i < indented.length; i += JSON_CHUNK_SIZE) await this.write(indented.slice(i, i + JSON_CHUNK_SIZE));
  }

  /**
   * Starts an item of the array that is itself an object written piece by piece: returns the writer
   * of that object (nested two levels deeper), to `open`, fill and `close` before the next item.
   */
  async openObjectItem(): Promise<JsonStreamWriter> {
    await this.write(`${this.items++ === 0 ? '' : ','}${this.nl(this.depth + 2)}`);
    return new JsonStreamWriter(this.write, this.indent, this.depth + 2);
  }

  /** Closes the array, writes the fields of `tail` and `}` (and `suffix`, e.g. a final newline). */
  async close(tail: Record<string, unknown>, suffix = ''): Promise<void> {
    const colon = this.indent ? ': ' : ':';
    await this.write(this.items === 0 ? ']' : `${this.nl(this.depth + 1)}]`);
    for (const [k, v] of Object.entries(tail)) {
      if (isSkipped(v)) continue;
      await this.write(`,${this.nl(this.depth + 1)}${JSON.stringify(k)}${colon}`);
      await this.writeValue(v, this.depth + 1);
    }
    await this.write(`${this.nl(this.depth)}}${suffix}`);
  }
}
