import { createHash } from 'node:crypto';
import type { Finding } from '../types.js';

/**
 * A finding's identity across runs: the rule, the domain, the record it is about and the values
 * that make it what it is. Not the line number: moving a record in a file is not a new finding.
 */
export function fingerprint(domain: string, f: Finding): string {
  const stable = JSON.stringify([f.ruleId, domain, f.location.name.toLowerCase(), f.location.type, sortKeys(f.args)]);
  return createHash('sha256').update(stable).digest('hex').slice(0, 32);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
