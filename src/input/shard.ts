import { InputError } from './domain.js';

/** `--shard K/N`: this run audits the K-th of N disjoint parts of the list (K from 1 to N). */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new InputError(`invalid --shard ${JSON.stringify(text)}: expected K/N with 1 ≤ K ≤ N, such as 1/4`);
  }
  return { index, count };
}

/**
 * FNV-1a (32 bits) of the normalized name. Part of the interface: it must never change, or shards of
 * a list split by one version would overlap those of another.
 */
export function shardHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard (1 to count) a normalized name belongs to. */
export function shardOf(name: string, count: number): number {
  return (shardHash(name) % count) + 1;
}

export function inShard(name: string, shard: Shard): boolean {
  return shardOf(name, shard.count) === shard.index;
}
