import { InputError } from './domain.js';

/** `--shard K/N`: this run audits the K-th of N disjoint parts of the list (K from 1 to N). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * `--shard auto`: the shard from the scheduler's environment. The index (from 0) is
 * `MAILAUDIT_SHARD_INDEX` (set it in a CI matrix, e.g. to `${{ strategy.job-index }}` on GitHub
 * Actions) or else `JOB_COMPLETION_INDEX` (set by Kubernetes for an Indexed Job); the count is
 * `--shard-count`, else `MAILAUDIT_SHARD_COUNT` (the Job's `completions`, the matrix's
 * `${{ strategy.job-total }}`).
 */
export const SHARD_ENV = { index: 'MAILAUDIT_SHARD_INDEX', kubernetesIndex: 'JOB_COMPLETION_INDEX', count: 'MAILAUDIT_SHARD_COUNT' } as const;

function autoShard(env: NodeJS.ProcessEnv, countOption: number | undefined): Shard {
  const indexVar = env[SHARD_ENV.index] !== undefined && env[SHARD_ENV.index] !== '' ? SHARD_ENV.index : SHARD_ENV.kubernetesIndex;
  const indexText = env[indexVar];
  if (indexText === undefined || indexText === '') {
    throw new InputError(`--shard auto: no shard index in the environment: set ${SHARD_ENV.index} (from 0), or run as a Kubernetes Indexed Job (${SHARD_ENV.kubernetesIndex})`);
  }
  const countText = countOption !== undefined ? String(countOption) : env[SHARD_ENV.count];
  if (countText === undefined || countText === '') {
    throw new InputError(`--shard auto: no shard count: give --shard-count N or set ${SHARD_ENV.count}`);
  }
  const index = /^\d+$/.test(indexText.trim()) ? Number(indexText) : NaN;
  const count = /^\d+$/.test(countText.trim()) ? Number(countText) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) throw new InputError(`--shard auto: invalid shard count ${JSON.stringify(countText)}: expected a positive integer`);
  if (!Number.isSafeInteger(index) || index >= count) {
    throw new InputError(`--shard auto: invalid ${indexVar}=${JSON.stringify(indexText)}: expected 0 to ${count - 1} for ${count} shards`);
  }
  return { index: index + 1, count };
}

/** `K/N`, or `auto` (the index from the environment, the count from `countOption` or the environment). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env, countOption?: number): Shard {
  if (text.trim() === 'auto') return autoShard(env, countOption);
  if (countOption !== undefined) throw new InputError('--shard-count goes with --shard auto');
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new InputError(`invalid --shard ${JSON.stringify(text)}: expected K/N with 1 ≤ K ≤ N, such as 1/4, or auto`);
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
