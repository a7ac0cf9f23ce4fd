/**
 * The rule engine alone: every built-in rule against the facts (`records`) of each line of an ndjson
 * output, R rounds; prints µs of CPU and bytes allocated per domain, and checks that the findings are
 * the line's findings (the engine of this build agrees with the one that wrote the file).
 *
 *   node --expose-gc --min-semi-space-size=512 --max-semi-space-size=512 dist/bench/engine.js OUT.ndjson [--rounds 5]
 *
 * (the large young generation keeps collections out of a round, so the heap's growth is what it allocated)
 *
 * Make OUT.ndjson with any list run, e.g. `npm run bench`'s synthetic domains written by
 * `mailaudit -i domains.txt -f ndjson -o OUT.ndjson --no-smtp`.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { evaluate } from '../src/engine/evaluate.js';
import { builtinRules } from '../src/engine/load.js';
import type { DomainFacts } from '../src/facts/index.js';
import type { DomainReport } from '../src/types.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '5' } } });
const file = positionals[0];
if (!file) throw new Error('usage: engine.js OUT.ndjson [--rounds R]');
const reports = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as DomainReport);
const rules = builtinRules();

let differ = 0;
for (const r of reports) if (!isDeepStrictEqual(evaluate(rules, r.records as DomainFacts), r.findings)) differ++;
const gc = (globalThis as { gc?: () => void }).gc;
for (let round = 0; round < Number(values.rounds); round++) {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  for (const r of reports) evaluate(rules, r.records as DomainFacts);
  // Allocation: with a young generation larger than a round allocates, nothing is collected in it.
  const bytes = process.memoryUsage().heapUsed - heap0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `round ${round + 1}: ${(((cpu.user + cpu.system) / reports.length) | 0).toString().padStart(4)} µs CPU/domain, ~${((bytes / reports.length / 1024) | 0).toString().padStart(4)} KiB allocated/domain\n`,
  );
}
process.stdout.write(`${reports.length} domains, ${rules.length} rules; findings differ from the file's for ${differ}\n`);
