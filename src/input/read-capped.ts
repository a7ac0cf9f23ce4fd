import { closeSync, openSync, readSync } from 'node:fs';

/** Files read whole (config, zone, CA): a file larger than its cap is refused before it fills memory. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
export const MAX_ZONE_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a text file (UTF-8) of at most `maxBytes`; a larger one (or one that never ends, /dev/zero)
 * throws an Error whose message says so, as fs errors do with their code. Works on pipes and devices.
 */
export function readTextCapped(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(65536, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
