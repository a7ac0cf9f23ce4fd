import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { evaluateRule, holds } from '../src/engine/evaluate.js';
import { loadRules, RuleLoadError } from '../src/engine/load.js';
import { select } from '../src/engine/path.js';
import type { Rule } from '../src/engine/rule.js';
import type { DomainFacts } from '../src/facts/index.js';
import { RULES_DIR } from '../src/paths.js';

const facts = {
  domain: 'example.test',
  input: 'example.test',
  existence: 'exists',
  lookups: [],
  dnsFailures: [],
  mx: {
    status: 'found',
    hosts: [
      { preference: 10, exchange: 'a.example.test', isNull: false, ipLiteral: false, addresses: ['192.0.2.1'], addressStatus: 'found' },
      { preference: 20, exchange: 'b.example.test', isNull: false, ipLiteral: false, cname: 'c.example.test', addresses: [], addressStatus: 'absent', origin: { file: 'z.db', line: 7 } },
    ],
    nullMx: false,
    nullMixed: false,
    hostCount: 2,
  },
} as unknown as DomainFacts;

test('select fans out over arrays and skips missing parts', (t) => {
  t.is(select(facts, 'mx.hosts[*]').length, 2);
  t.deepEqual(select(facts, 'mx.hosts[*].cname'), ['c.example.test']);
  t.deepEqual(select(facts, 'spf'), []);
  t.deepEqual(select(facts, '$'), [facts]);
});

test('conditions: every operator', (t) => {
  const node = { n: 3, s: 'abc', list: [1, 2], flag: false, obj: { k: 'v' } };
  const ok = (c: object) => holds({ path: 'n', ...c } as never, node, facts);
  t.true(ok({ exists: true }));
  t.true(holds({ path: 'missing', absent: true }, node, facts));
  t.true(ok({ equals: 3 }));
  t.true(ok({ notEquals: 4 }));
  t.true(ok({ in: [1, 3] }));
  t.true(ok({ notIn: [1, 2] }));
  t.true(ok({ lt: 4 }) && ok({ lte: 3 }) && ok({ gt: 2 }) && ok({ gte: 3 }));
  t.false(ok({ gt: 3 }));
  t.true(holds({ path: 's', matches: '^a' }, node, facts));
  t.true(holds({ path: 's', notMatches: '^b' }, node, facts));
  t.true(holds({ path: 'list', gt: 1 }, node, facts), 'arrays compare by length');
  t.true(holds({ path: 'flag', equals: false }, node, facts));
  t.true(holds({ path: 'obj', equals: { k: 'v' } }, node, facts));
  t.true(holds({ path: '$.mx.hostCount', equals: 2 }, node, facts), '$. reads from the domain facts');
});

test('a rule renders its message and location from the node it selected, with the zone line', (t) => {
  const rule: Rule = {
    id: 'x-cname', category: 'mx', severity: 'warning', summary: 'an MX target is an alias',
    given: 'mx.hosts[*]', when: [{ path: 'cname', exists: true }],
    message: '{{exchange}} of {{domain}} points to {{cname}}', location: { name: '{{domain}}', type: 'MX' },
    references: ['RFC 2181 §10.3'], rationale: 'x'.repeat(20), fix: 'fix it now',
  };
  const [finding, ...rest] = evaluateRule(rule, facts);
  t.is(rest.length, 0);
  t.deepEqual(finding, {
    ruleId: 'x-cname', severity: 'warning',
    message: 'b.example.test of example.test points to c.example.test',
    location: { name: 'example.test', type: 'MX', file: 'z.db', line: 7 },
    args: { exchange: 'b.example.test', cname: 'c.example.test' },
  });
});

function ruleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  copyFileSync(join(RULES_DIR, 'rule.schema.json'), join(dir, 'rule.schema.json'));
  mkdirSync(join(dir, 'mx'));
  return dir;
}

test('the shipped rules all load', (t) => {
  const rules = loadRules();
  t.true(rules.length >= 14);
  t.is(new Set(rules.map((r) => r.id)).size, rules.length);
});

test('a bad rule file is a clear error naming the file', (t) => {
  const dir = ruleDir();
  const good = JSON.parse(readFileSync(join(RULES_DIR, 'mx', 'mx-missing.json'), 'utf8'));
  writeFileSync(join(dir, 'mx', 'mx-missing.json'), JSON.stringify({ ...good, severity: 'fatal' }));
  const err = t.throws(() => loadRules(dir), { instanceOf: RuleLoadError });
  t.regex(err!.message, /mx-missing\.json/);
  t.regex(err!.message, /severity/);
});

test('a rule whose id differs from its file name is refused', (t) => {
  const dir = ruleDir();
  const good = JSON.parse(readFileSync(join(RULES_DIR, 'mx', 'mx-missing.json'), 'utf8'));
  writeFileSync(join(dir, 'mx', 'mx-absent.json'), JSON.stringify(good));
  t.throws(() => loadRules(dir), { instanceOf: RuleLoadError, message: /must match the file name/ });
});

test('a rule file that is not JSON is refused', (t) => {
  const dir = ruleDir();
  writeFileSync(join(dir, 'mx', 'broken.json'), '{ "id": ');
  t.throws(() => loadRules(dir), { instanceOf: RuleLoadError, message: /broken\.json/ });
});

test('a rule without when is refused: every rule is declarative', (t) => {
  const dir = ruleDir();
  const good = JSON.parse(readFileSync(join(RULES_DIR, 'mx', 'mx-missing.json'), 'utf8'));
  delete good.when;
  writeFileSync(join(dir, 'mx', 'mx-missing.json'), JSON.stringify({ ...good, check: 'noSuchCheck' }));
  t.throws(() => loadRules(dir), { instanceOf: RuleLoadError });
});
