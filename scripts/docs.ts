/**
 * `npm run docs`: writes docs/rules/<id>.md for every rule (and docs/rules/README.md, the index) from
 * the rule files, and removes pages of rules that no longer exist. test/docs.test.ts fails when the
 * committed pages differ from what this writes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRules } from '../src/engine/load.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { docPages } from '../src/report/rules.js';

const dir = join(PACKAGE_ROOT, 'docs', 'rules');
mkdirSync(dir, { recursive: true });
const exempt: Record<string, string> = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'fixtures', '_examples', 'exempt.json'), 'utf8'));
const pages = docPages(loadRules(), exempt);
let changed = 0;
for (const [name, text] of pages) {
  const file = join(dir, name);
  let old: string | undefined;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) {
    writeFileSync(file, text);
    changed++;
  }
}
for (const name of readdirSync(dir)) {
  if (name.endsWith('.md') && !pages.has(name)) {
    rmSync(join(dir, name));
    changed++;
  }
}
process.stdout.write(`docs/rules: ${pages.size} pages, ${changed} written or removed\n`);
