import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { audit, type AuditOptions } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import type { Rule } from '../src/engine/rule.js';
import { BASELINE_FILE, blockedConnections, EXAMPLE_DOMAIN, guardLoopbackOnly, layExample, NOTHING_ELSE } from './helpers/examples.js';

/**
 * Every rule's examples, as docs/examples.md defines them: `bad` laid over the baseline zone makes
 * the rule fire, `good` does not. Rules a zone file cannot show are listed, with the reason, in
 * fixtures/_examples/exempt.json.
 *
 * These audits are offline and never leave loopback:
 * - DNS outside the example zone is NXDOMAIN (NOTHING_ELSE); DNSSEC queries are off (a custom DnsSource);
 * - the SMTP probe is off (`smtp: false`, no submission host);
 * - HTTPS fetches (the MTA-STS policy the baseline's `_mta-sts` record announces, BIMI logos) go to
 *   names the zone resolves to 127.0.0.x, on a port this test holds (a server on 127.0.0.1 that
 *   closes every connection, so nothing else listens there), and fail at once (mta-sts-policy-unavailable and the BIMI logo rules are exempt);
 * - and guardLoopbackOnly refuses, and the last test reports, any connection to another address
 *   an example might name.
 */
const exempt: Record<string, string> = JSON.parse(readFileSync('fixtures/_examples/exempt.json', 'utf8'));
const rules = builtinRules();
const dir = mkdtempSync(join(tmpdir(), 'rule-examples-'));
let sink: Server;
let httpsPort = 0;

test.before(async () => {
  guardLoopbackOnly();
  sink = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  httpsPort = (sink.address() as AddressInfo).port;
});
test.after.always(() => new Promise<void>((resolve) => sink.close(() => resolve())));

const HOW = 'See docs/examples.md for the convention (baseline fixtures/_examples/baseline.zone, `; delete OWNER TYPE`, `; policy {…}`, `; audit NAME`)';

const ruleFile = (rule: Rule) => `rules/${rule.category}/${rule.id}.json`;

async function findingsFor(name: string, example: string) {
  const laid = layExample(example);
  const file = join(dir, `${name}.zone`);
  writeFileSync(file, laid.zone);
  const options: AuditOptions = {
    zoneFiles: [file],
    dns: NOTHING_ELSE,
    smtp: false,
    httpsPort,
    httpTimeoutMs: 5000,
    disable: Object.keys(exempt).filter((id) => rules.some((r) => r.id === id)),
  };
  if (laid.policy) options.policies = { [EXAMPLE_DOMAIN]: laid.policy };
  const report = await audit(laid.domain === EXAMPLE_DOMAIN ? [] : [laid.domain], options);
  return report.domains.flatMap((d) => d.findings);
}

test('the baseline zone alone gives no finding', async (t) => {
  const findings = await findingsFor('baseline', '');
  t.deepEqual(
    findings.map((f) => `${f.ruleId}: ${f.message}`),
    [],
    `${BASELINE_FILE} must be clean: change it (one record per line) so that these rules do not fire, or exempt a rule a zone cannot show in fixtures/_examples/exempt.json`,
  );
});

test('exempt rules give a reason', (t) => {
  for (const [id, reason] of Object.entries(exempt)) t.true(reason.length > 10, `fixtures/_examples/exempt.json: give a reason for ${id}`);
});

for (const rule of rules) {
  if (exempt[rule.id]) continue;
  test(`rule ${rule.id}: its bad example triggers it, its good example does not`, async (t) => {
    const { bad, good } = rule.examples ?? {};
    t.truthy(bad, `${ruleFile(rule)}: add examples.bad (zone lines that make ${rule.id} fire). ${HOW}; or list the rule in fixtures/_examples/exempt.json with the reason a zone cannot show it.`);
    t.truthy(good, `${ruleFile(rule)}: add examples.good (zone lines close to the bad one that do not make ${rule.id} fire). ${HOW}.`);
    if (bad) {
      const ids = (await findingsFor(`${rule.id}-bad`, bad)).map((f) => f.ruleId);
      t.true(
        ids.includes(rule.id),
        `${ruleFile(rule)}: examples.bad does not trigger ${rule.id} (it gives: ${ids.join(', ') || 'nothing'}). Rewrite examples.bad as zone lines relative to $ORIGIN example.com. ${HOW}. If a zone file cannot show this rule, list it in fixtures/_examples/exempt.json with the reason.`,
      );
    }
    if (good) {
      const ids = (await findingsFor(`${rule.id}-good`, good)).map((f) => f.ruleId);
      t.false(ids.includes(rule.id), `${ruleFile(rule)}: examples.good triggers ${rule.id}. Rewrite examples.good so that, laid over the baseline, the rule does not fire. ${HOW}.`);
    }
  });
}

test('laying an example: same owner+type replaces, `; delete` removes, `; policy` sets the config entry', (t) => {
  const base = readFileSync(BASELINE_FILE, 'utf8');
  const count = (zone: string, re: RegExp) => zone.split('\n').filter((l) => re.test(l)).length;
  t.is(count(base, /^@\s+IN MX/), 2);
  const replaced = layExample('@ IN MX 0 .').zone;
  t.is(count(replaced, /^@\s+IN MX/), 1, 'both baseline MX records replaced by the example');
  t.is(count(replaced, /^@\s+IN TXT\s+"v=spf1/), 1, 'other RRsets at the apex kept');
  const deleted = layExample('; delete _dmarc TXT');
  t.is(count(deleted.zone, /^_dmarc\s/), 0);
  t.is(deleted.policy, undefined);
  t.deepEqual(layExample('; policy {"parked": true}').policy, { parked: true });
  t.is(layExample('').domain, EXAMPLE_DOMAIN);
  t.is(layExample('; audit sub').domain, `sub.${EXAMPLE_DOMAIN}`, '`; audit NAME` audits a subdomain');
  t.is(count(layExample('mail.example.com. IN CNAME mx1.example.com.').zone, /^mx1\s/), 2, 'names the example does not publish are untouched');
});

test.after('no example made the audit connect anywhere but loopback', (t) => {
  t.deepEqual(blockedConnections, [], 'keep every address an example publishes in 127.0.0.0/8 (the audits must not leave the machine)');
});
