import type { DomainFacts, SpfNodeFact, SpfSenderResultFact } from '../facts/index.js';
import { CONTINUED } from './text-layout.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What following this node costs: the include/redirect term that leads here, plus its subtree. */
function describe(node: SpfNodeFact, top: boolean): string {
  const cost = top ? node.totalLookups : 1 + node.totalLookups;
  const costText = plural(cost, 'lookup');
  switch (node.status) {
    case 'none':
      return `${costText}, no SPF record${node.reason ? `: ${node.reason}` : ''} (permerror)`;
    case 'multiple':
      return `${costText}, more than one SPF record (permerror)`;
    case 'undetermined':
      return `${costText}, lookup failed (temperror)`;
    case 'loop':
      return `${costText}, loop: ${node.chainText ?? ''}`;
    case 'not-followed':
      return `${costText}, not followed: ${node.reason ?? ''}`;
  }
  const inside = node.lookups === node.totalLookups ? `${node.lookups} in the record` : `${node.lookups} in the record, ${node.totalLookups - node.lookups} below`;
  const parts = [node.totalLookups === 0 && !top ? costText : `${costText} (${top ? '' : '1 + '}${inside})`];
  if (node.totalVoids) parts.push(plural(node.totalVoids, 'void lookup'));
  if (node.allTerm) parts.push(node.allTerm);
  if (node.redirectIgnored) parts.push('redirect ignored');
  if (node.omittedTerms) parts.push(`${plural(node.omittedTerms, 'more term')} not listed nor followed: over the budget`);
  return parts.join(', ');
}

/**
 * The SPF include/redirect tree with the lookups each record costs, so a reader sees which
 * provider eats the budget of 10; then the `--sender-ip` results. Lines without indentation.
 */
export function spfTreeLines(facts: DomainFacts): string[] {
  const spf = facts.spf;
  const tree = spf?.tree;
  if (!spf || !tree?.length) return spfSenderLines(facts);
  // Below a failed lookup or a macro target the tree is unknown: the totals are lower bounds there.
  const partial = tree.some((n) => n.status === 'undetermined' || n.status === 'not-followed') ? 'at least ' : '';
  const lines = [`${CONTINUED}${partial}${plural(spf.lookupCount ?? 0, 'DNS lookup')} (limit 10), ${partial}${plural(spf.voidLookupCount ?? 0, 'void lookup')} (limit 2)`];
  if (spf.budget) {
    lines.push(
      `${CONTINUED}not followed: over the budget (${spf.budget.exceededText} per domain): ${plural(spf.budget.notFollowed, 'DNS-querying term')} not followed` +
        (spf.budget.omittedTerms ? `, ${plural(spf.budget.omittedTerms, 'term')} not listed` : ''),
    );
  }
  if (tree.length > 1) {
    const walk = (node: SpfNodeFact, prefix: string, last: boolean, top: boolean) => {
      const label = top ? node.name : `${node.viaTerm ?? node.name}`;
      const branch = top ? '' : last ? '└─ ' : '├─ ';
      lines.push(`${CONTINUED}${prefix}${branch}${label}  [${describe(node, top)}]`);
      const next = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
      node.children.forEach((id, i) => walk(tree[id]!, next, i === node.children.length - 1, false));
    };
    walk(tree[0]!, '', true, true);
  }
  return [...lines, ...spfSenderLines(facts)];
}

/** Which identity a result is for, as a receiver's Received-SPF would name it (RFC 7208 §2.3, §2.4, §9.1). */
function identityText(s: SpfSenderResultFact): string {
  if (s.identity === 'helo') return `HELO ${s.helo}`;
  return s.nullSender ? `MAIL FROM <> (checked as ${s.sender})` : `MAIL FROM ${s.sender}`;
}

/** The `--sender-ip` results, one line per address and identity, whatever the records. */
export function spfSenderLines(facts: DomainFacts): string[] {
  const lines: string[] = [];
  for (const s of facts.spf?.senderResults ?? []) {
    const at = s.decidedBy ? ` by ${s.decidedBy.term}${s.decidedBy.name !== facts.domain ? ` at ${s.decidedBy.name}` : ''}` : '';
    const agree = !s.treeResult || s.treeResult === s.result;
    const other = s.domain !== facts.domain ? ` (SPF of ${s.domain})` : '';
    lines.push(
      `${CONTINUED}mail from ${s.ip}, ${identityText(s)}${other}: ${s.result}${agree ? at : ''} (mailauth, ${plural(s.lookups, 'lookup')}, ${plural(s.voidLookups, 'void lookup')})`,
    );
    if (!agree) lines.push(`${CONTINUED}  without the limits the tree gives ${s.treeResult}${at}`);
    if (s.limitNote) lines.push(`${CONTINUED}  ${s.limitNote}`);
    if (s.verdictNote) lines.push(`${CONTINUED}  ${s.verdictNote}`);
  }
  return lines;
}
