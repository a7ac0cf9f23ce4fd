import type { Rule } from '../engine/rule.js';
import { DOCS_BASE_URL } from '../paths.js';

/** Where a rule's documentation page is published. */
export const docsUrl = (id: string): string => `${DOCS_BASE_URL}${id}.md`;

export function ruleSummary(rule: Rule): { id: string; category: string; severity: string; summary: string; docs: string } {
  return { id: rule.id, category: rule.category, severity: rule.severity, summary: rule.summary, docs: docsUrl(rule.id) };
}

/** `mailaudit rules`: one line per rule, sorted by id. */
export function renderRuleList(rules: readonly Rule[]): string {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  const width = Math.max(...sorted.map((r) => r.id.length));
  const lines = sorted.map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd('severity'.length)}  ${r.summary}`);
  return `${[`${'id'.padEnd(width)}  severity  summary`, ...lines, '', `${rules.length} rules; \`mailaudit explain ID\` tells more about one.`].join('\n')}\n`;
}

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

/** `mailaudit explain ID`: the whole rule, for a terminal. */
export function renderExplain(rule: Rule): string {
  const parts = [
    `${rule.id} (${rule.severity}, ${rule.category})`,
    `  ${rule.summary}`,
    '',
    'Why it matters',
    indent(rule.rationale),
    '',
    'How to fix it',
    indent(rule.fix),
  ];
  if (rule.examples?.bad) parts.push('', 'Bad', indent(rule.examples.bad));
  if (rule.examples?.good) parts.push('', 'Good', indent(rule.examples.good));
  parts.push('', `References: ${rule.references.join(', ')}`, `Documentation: ${docsUrl(rule.id)}`);
  return `${parts.join('\n')}\n`;
}

/** Reference text → a link where the reference names an RFC (section anchors as rfc-editor.org has them). */
function referenceLink(ref: string): string {
  const rfc = /^RFC (\d+)(?: §([0-9A-Za-z.]+))?/.exec(ref);
  if (rfc) {
    const anchor = rfc[2] ? (/^[A-Z]/.test(rfc[2]) ? `#appendix-${rfc[2]}` : `#section-${rfc[2]}`) : '';
    return `[${ref}](https://www.rfc-editor.org/rfc/rfc${rfc[1]}${anchor})`;
  }
  const draft = /^(draft-[a-z0-9-]+)/.exec(ref);
  if (draft) return `[${ref}](https://datatracker.ietf.org/doc/${draft[1]}/)`;
  return ref;
}

const GENERATED = '<!-- Generated from rules/{{category}}/{{id}}.json by `npm run docs`: edit the rule file, not this page. -->';

/** docs/rules/<id>.md: the rule's page, generated from its rule file (scripts/docs.ts). */
export function renderRuleDoc(rule: Rule, options: { noZoneExample?: string } = {}): string {
  const lines = [
    GENERATED.replace('{{category}}', rule.category).replace('{{id}}', rule.id),
    '',
    `# ${rule.id}`,
    '',
    `**${rule.summary}**`,
    '',
    '| category | default severity |',
    '|---|---|',
    `| ${rule.category} | ${rule.severity} |`,
    '',
    '## Why it matters',
    '',
    rule.rationale,
    '',
    '## How to fix it',
    '',
    rule.fix,
    '',
  ];
  if (rule.examples?.bad || rule.examples?.good) {
    const intro = options.noZoneExample
      ? `A zone file cannot show this rule (${options.noZoneExample}): the examples show what mailaudit sees instead (\`S:\` server, \`C:\` client in SMTP dialogues).`
      : 'Zone-file lines relative to `$ORIGIN example.com.`, laid over the [baseline zone](../examples.md).';
    const lang = options.noZoneExample ? 'text' : 'dns';
    lines.push('## Examples', '', intro, '');
    const text = `${rule.examples.bad ?? ''}\n${rule.examples.good ?? ''}`;
    if (!options.noZoneExample && /^\s*;\s*policy\s/m.test(text)) {
      lines.push('`; policy {…}` stands for the domain\'s entry in `.mailauditrc.json` (`"domains": { "example.com": {…} }`).', '');
    }
    if (!options.noZoneExample && /^\s*;\s*delete\s/m.test(text)) lines.push('`; delete OWNER TYPE` removes that record set from the baseline zone.', '');
    if (!options.noZoneExample && /^\s*;\s*audit\s/m.test(text)) lines.push('`; audit NAME` audits NAME.example.com, a subdomain in the same zone, instead of example.com.', '');
    if (rule.examples.bad) lines.push('Reported:', '', `\`\`\`${lang}`, rule.examples.bad, '```', '');
    if (rule.examples.good) lines.push('Not reported:', '', `\`\`\`${lang}`, rule.examples.good, '```', '');
  }
  lines.push(
    '## Configuration',
    '',
    'Change its severity or turn it off in `.mailauditrc.json`:',
    '',
    '```json',
    `{ "rules": { "${rule.id}": "off" } }`,
    '```',
    '',
    `or for one run: \`mailaudit --disable ${rule.id} …\`.`,
    '',
    '## References',
    '',
    ...rule.references.map((r) => `- ${referenceLink(r)}`),
    '',
  );
  return lines.join('\n');
}

/** docs/rules/README.md: the index of every rule. */
export function renderRuleIndex(rules: readonly Rule[]): string {
  const sorted = [...rules].sort((a, b) => a.category.localeCompare(b.category) || a.id.localeCompare(b.id));
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '<!-- Generated from rules/**/*.json by `npm run docs`. -->',
    '',
    '# Rules',
    '',
    '| rule | category | default severity | summary |',
    '|---|---|---|---|',
    ...sorted.map((r) => `| [${r.id}](${r.id}.md) | ${r.category} | ${r.severity} | ${escape(r.summary)} |`),
    '',
  ].join('\n');
}

/**
 * Every page of docs/rules/ by file name, as `npm run docs` writes them. `noZoneExample` maps the
 * rules whose examples are prose (fixtures/_examples/exempt.json) to the reason.
 */
export function docPages(rules: readonly Rule[], noZoneExample: Record<string, string>): Map<string, string> {
  const pages = new Map<string, string>(rules.map((r) => [`${r.id}.md`, renderRuleDoc(r, { noZoneExample: noZoneExample[r.id] })]));
  pages.set('README.md', renderRuleIndex(rules));
  return pages;
}
