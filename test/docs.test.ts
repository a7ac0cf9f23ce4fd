import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { builtinRules } from '../src/engine/load.js';
import { docPages } from '../src/report/rules.js';

const DIR = join('docs', 'rules');
const FIX = 'run `npm run docs` and commit docs/rules/';

test('every rule has its doc page, generated from its rule file and up to date', (t) => {
  const exempt: Record<string, string> = JSON.parse(readFileSync('fixtures/_examples/exempt.json', 'utf8'));
  const pages = docPages(builtinRules(), exempt);
  for (const [name, expected] of pages) {
    const file = join(DIR, name);
    if (!existsSync(file)) {
      t.fail(`${file} is missing: ${FIX}`);
      continue;
    }
    t.true(readFileSync(file, 'utf8') === expected, `${file} is stale (its rule file changed): ${FIX}`);
  }
  const extra = readdirSync(DIR).filter((n) => n.endsWith('.md') && !pages.has(n));
  t.deepEqual(extra, [], `pages of rules that no longer exist: ${FIX} (it removes them)`);
});

test('the docs base URL is one constant, used by SARIF helpUri and the job summary', (t) => {
  const sources = ['src/report/sarif.ts', 'src/report/rules.ts', 'src/action/summary.ts'].filter(existsSync);
  for (const file of sources) t.notRegex(readFileSync(file, 'utf8'), /https:\/\/github\.com\/[^'"`]*docs\/rules/, `${file} repeats DOCS_BASE_URL`);
});
