import test from 'ava';
import { audit } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { hangOf, LABEL_WIDTH, wrapLine } from '../src/report/text-layout.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { runCli } from './helpers/cli.js';
import { startFixtureDns } from './helpers/fixtures.js';

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

const DOMAINS = ['nospf.test', 'spf-provider-mix.test', 'dkim-keys.test', 'dmarcnone.test'];

test('wrapLine: breaks at spaces, hangs the rest, cuts a word longer than a line, leaves short lines alone', (t) => {
  t.deepEqual(wrapLine('  short', 40, 4), ['  short']);
  t.deepEqual(wrapLine('  one two three four five six seven', 20, 4), ['  one two three four', '    five six seven']);
  const key = `p=${'A'.repeat(50)}`;
  const lines = wrapLine(`  key ${key}`, 24, 4);
  t.true(lines.every((l) => l.length <= 24), JSON.stringify(lines));
  t.is(lines.map((l) => l.trim()).join('').replace('key', ''), key);
  t.deepEqual(wrapLine('x '.repeat(100), undefined, 2), ['x '.repeat(100)], 'no width: no wrapping');
});

test('hangOf: after the label column, or after `key: `', (t) => {
  t.is(hangOf('SPF     v=spf1 -all'), LABEL_WIDTH);
  t.is(hangOf('MTA-STS mode enforce'), LABEL_WIDTH);
  t.is(hangOf('        policy: reject for the domain'), LABEL_WIDTH + 'policy: '.length);
});

test('text report at a width: no line is longer, and no word is lost', async (t) => {
  const report = await audit(DOMAINS, { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtp: false });
  const rules = builtinRules();
  const whole = renderText(report, { rules, color: false });
  for (const width of [60, 80, 100]) {
    const wrapped = renderText(report, { rules, color: false, width });
    const long = wrapped.split('\n').filter((l) => l.length > width);
    t.deepEqual(long, [], `width ${width}`);
    t.is(wrapped.replace(/\s+/g, ' '), whole.replace(/\s+/g, ' '), `width ${width}: the same words`);
  }
  t.true(whole.split('\n').some((l) => l.length > 100), 'without a width nothing is wrapped');
});

test('the fix line is as visible as the message: not dimmed, its label in bold', async (t) => {
  const report = await audit(['nospf.test'], { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtp: false });
  const text = renderText(report, { rules: builtinRules(), color: true });
  const fix = text.split('\n').find((l) => l.includes('fix:'))!;
  t.true(fix.startsWith('      \x1b[1mfix:\x1b[0m Publish'), JSON.stringify(fix));
  t.false(fix.includes('\x1b[2m'), 'not dimmed');
});

test('CLI, piped: the records block has every value in one column, and lines are not wrapped', async (t) => {
  const r = await runCli([...DOMAINS, '--dns-server', dns.address, '--no-smtp', '--timeout', '5000', '--tries', '1']);
  t.not(r.code, 2, r.stderr);
  const labelled = r.stdout.split('\n').filter((l) => /^ {2}[A-Z][A-Z-]* +\S/.test(l));
  t.true(labelled.length >= 4 * 8, `${labelled.length} record lines`);
  for (const line of labelled) t.regex(line, new RegExp(`^ {2}[A-Z][A-Z-]* +(?<=^.{${2 + LABEL_WIDTH}})\\S`), line);
  // Lines that continue a value start at the same column.
  const continued = r.stdout.split('\n').filter((l) => /^ {10}(policy:|selector|\d+ DNS lookups?|default|s2024)/.test(l));
  t.true(continued.length >= 4, r.stdout);
  t.true(r.stdout.split('\n').some((l) => l.length > 120), 'a long SPF or fix line stays whole on a pipe');
});
