import test from 'ava';
import { builtinRules, loadRules } from '../src/engine/load.js';
import { evaluateRule, holds } from '../src/engine/evaluate.js';
import { select, valueAt } from '../src/engine/path.js';

// The built-in rules are loaded without the schema on every start (issue 15): this is where they are validated.
test('the built-in rules validate against rules/rule.schema.json, and load the same without it', (t) => {
  const validated = loadRules();
  t.true(validated.length > 0);
  t.deepEqual(builtinRules(), validated);
});

test('cached paths and patterns give the same answers as fresh ones, however often asked', (t) => {
  const facts = { domain: 'a.test', mx: { hosts: [{ exchange: 'mx1.a.test' }, { exchange: 'mx2.b.test' }] }, spf: { record: 'v=spf1 -all' } };
  for (let i = 0; i < 3; i++) {
    t.deepEqual(select(facts, 'mx.hosts[*]'), facts.mx.hosts);
    t.is(valueAt(facts.mx.hosts[0], facts, 'exchange'), 'mx1.a.test');
    t.is(valueAt(facts.mx.hosts[1], facts, '$.spf.record'), 'v=spf1 -all');
    t.true(holds({ path: 'exchange', matches: '\\.a\\.test$' }, facts.mx.hosts[0], facts));
    t.false(holds({ path: 'exchange', matches: '\\.a\\.test$' }, facts.mx.hosts[1], facts));
    t.true(holds({ path: 'exchange', notMatches: '^mx1' }, facts.mx.hosts[1], facts));
  }
  const rule = builtinRules()[0]!;
  t.deepEqual(evaluateRule(rule, facts as never), evaluateRule(rule, facts as never));
});
