import type { DomainFacts } from '../facts/index.js';
import type { Finding, FindingLocation, Severity } from '../types.js';
import { select, valueAt } from './path.js';
import type { Condition, Rule } from './rule.js';
import { lookupVar, placeholders, render } from './template.js';

export interface EvaluateOptions {
  disabled?: ReadonlySet<string>;
  severity?: Readonly<Record<string, Severity>>;
}

/** A value whose JSON text no value of another kind shares: for two of them, JSON equality is `===`. */
const isPlainScalar = (v: unknown): boolean =>
  v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Equal as JSON (the rule files' values are JSON); two strings, numbers or booleans without building their text. */
function compare(a: unknown, b: unknown): boolean {
  if (isPlainScalar(a) && isPlainScalar(b)) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compiled `matches`/`notMatches` patterns, one per distinct pattern (bounded for user rule files). */
const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    if (patterns.size < 10_000) patterns.set(source, re);
  }
  return re;
}

/** Whether one condition holds for `node`. */
export function holds(cond: Condition, node: unknown, root: unknown): boolean {
  const v = valueAt(node, root, cond.path);
  if (cond.exists) return v !== undefined && v !== null;
  if (cond.absent) return v === undefined || v === null;
  if ('equals' in cond) return compare(v, cond.equals);
  if ('notEquals' in cond) return !compare(v, cond.notEquals);
  if (cond.in) return cond.in.some((x) => compare(v, x));
  if (cond.notIn) return !cond.notIn.some((x) => compare(v, x));
  if (cond.matches !== undefined) return typeof v === 'string' && pattern(cond.matches).test(v);
  if (cond.notMatches !== undefined) return typeof v === 'string' && !pattern(cond.notMatches).test(v);
  const n = Array.isArray(v) ? v.length : v;
  if (typeof n !== 'number') return false;
  if (cond.lt !== undefined) return n < cond.lt;
  if (cond.lte !== undefined) return n <= cond.lte;
  if (cond.gt !== undefined) return n > cond.gt;
  if (cond.gte !== undefined) return n >= cond.gte;
  return false;
}

function originOf(node: unknown): { file: string; line: number } | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const origin = (node as { origin?: { file?: unknown; line?: unknown } }).origin;
  if (origin && typeof origin.file === 'string' && typeof origin.line === 'number') {
    return { file: origin.file, line: origin.line };
  }
  return undefined;
}

/**
 * At most this many findings of one rule for one domain; the rest are summed up in one more finding
 * of the same rule (`args.omitted`, `args.limit`). A record decides how many nodes a rule selects
 * (1,200 MX hosts outside an MTA-STS policy, thousands of SPF terms): without a cap one domain's
 * report could grow without bound.
 */
export const MAX_FINDINGS_PER_RULE = 50;

/** Evaluates one rule against one domain's facts (at most `limit` findings, plus one that counts the rest). */
export function evaluateRule(rule: Rule, facts: DomainFacts, severity: Severity = rule.severity, limit = MAX_FINDINGS_PER_RULE): Finding[] {
  const findings: Finding[] = [];
  let omitted = 0;
  let firstOmitted: FindingLocation | undefined;
  for (const node of select(facts, rule.given)) {
    if (!rule.when.every((c) => holds(c, node, facts))) continue;
    const vars: Record<string, unknown> = { domain: facts.domain };
    const args: Record<string, unknown> = {};
    const resolve = (name: string) => {
      const value = lookupVar(name, vars, node, facts);
      if (name !== 'domain') args[name] = value;
      return value;
    };
    const locate = (): FindingLocation => {
      const location: FindingLocation = {
        name: render(rule.location.name, resolve),
        type: render(rule.location.type, resolve),
      };
      const origin = originOf(node) ?? (facts.zone ? { file: facts.zone.file, line: facts.zone.line } : undefined);
      if (origin) Object.assign(location, origin);
      return location;
    };
    if (findings.length >= limit) {
      // Counted, not rendered: the summary finding points where the first one left out would have.
      if (omitted++ === 0) firstOmitted = locate();
      continue;
    }
    const message = render(rule.message, resolve);
    findings.push({ ruleId: rule.id, severity, message, location: locate(), args });
  }
  if (omitted > 0) {
    findings.push({
      ruleId: rule.id,
      severity,
      message: `${omitted} more finding${omitted === 1 ? '' : 's'} of ${rule.id} for ${facts.domain} not listed: at most ${limit} findings of one rule are listed per domain.`,
      location: firstOmitted!,
      args: { omitted, limit },
    });
  }
  return findings;
}

/** Every enabled rule against one domain's facts, in rule order. */
export function evaluate(rules: readonly Rule[], facts: DomainFacts, options: EvaluateOptions = {}): Finding[] {
  return rules
    .filter((r) => !options.disabled?.has(r.id))
    .flatMap((r) => evaluateRule(r, facts, options.severity?.[r.id] ?? r.severity));
}

export { placeholders };
