import test from 'ava';
import { audit } from '../src/audit.js';
import { InputError } from '../src/input/domain.js';
import type { Finding } from '../src/types.js';
import { startDnsServer } from './helpers/dns-server.js';
import { identityDomain, loadSuite, type SuiteTest } from './helpers/rfc7208-suite.js';

/**
 * The openspf RFC 7208 test suite (203 tests, test/conformance/rfc7208/), every test a real audit
 * through the library against the loopback test DNS server serving its scenario's zone data.
 */

/** Findings that say why a record gives permerror; each expected permerror must come with its own. */
const PERMERROR_FINDINGS = [
  'spf-syntax-error',
  'spf-multiple-records',
  'spf-include-no-record',
  'spf-include-multiple-records',
  'spf-include-loop',
  'spf-too-many-lookups',
  'spf-too-many-mx',
  'spf-too-many-void-lookups',
  'spf-invalid-target-name',
];

/** Expected permerrors not caused by syntax, and the finding that must name their cause. Every other one is syntax. */
const CAUSE: Record<string, string> = {
  multitxt1: 'spf-multiple-records',
  multitxt2: 'spf-multiple-records',
  multispf1: 'spf-multiple-records',
  'include-none': 'spf-include-no-record',
  'redirect-none': 'spf-include-no-record',
  'include-loop': 'spf-include-loop',
  'redirect-loop': 'spf-include-loop',
  'mx-limit': 'spf-too-many-mx',
  'mech-over-limit': 'spf-too-many-lookups',
  'include-over-limit': 'spf-too-many-lookups',
  'void-over-limit': 'spf-too-many-void-lookups',
  // A valid domain-spec (RFC 7208 §7.1) that is no DNS name: the RFC leaves permerror or "no match" to the receiver.
  'invalid-domain-empty-label': 'spf-invalid-target-name',
  'invalid-domain-long': 'spf-invalid-target-name',
  'invalid-domain-long-via-macro': 'spf-invalid-target-name',
};

interface Outcome {
  test: SuiteTest;
  refused?: string;
  result?: string;
  findings?: string[];
  problems: string[];
}

const scenarios = loadSuite();
const SUITE_TIMEOUT_MS = 2000;

async function runScenario(index: number): Promise<Outcome[]> {
  const scenario = scenarios[index]!;
  const server = await startDnsServer({ records: scenario.records, behaviours: scenario.behaviours });
  try {
    const outcomes: Outcome[] = [];
    for (const t of scenario.tests) {
      const outcome: Outcome = { test: t, problems: [] };
      outcomes.push(outcome);
      let report;
      try {
        report = await audit(identityDomain(t), {
          dnsServers: [server.address],
          // Long enough for a loaded machine to answer from loopback; the suite's TIMEOUT names cost it.
          timeoutMs: SUITE_TIMEOUT_MS,
          tries: 1,
          smtp: false,
          senderIps: [t.host],
          mailFrom: t.mailfrom === '' ? '<>' : t.mailfrom,
          helo: t.helo,
        });
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        outcome.refused = err.message;
        continue;
      }
      const domain = report.domains[0]!;
      const mailfrom = domain.records.spf?.senderResults?.find((s) => s.identity === 'mailfrom');
      outcome.result = mailfrom?.result;
      const ids = new Set(domain.findings.map((f: Finding) => f.ruleId));
      outcome.findings = [...ids].filter((id) => id.startsWith('spf-'));
      if (!mailfrom) outcome.problems.push('no MAIL FROM result in the report');
      else if (!t.results.includes(mailfrom.result)) outcome.problems.push(`result ${mailfrom.result}, expected ${t.results.join(' or ')} (${mailfrom.comment ?? ''})`);
      if (mailfrom?.result === 'permerror' && t.results.includes('permerror')) {
        const cause = CAUSE[t.name] ?? 'spf-syntax-error';
        if (!ids.has(cause)) outcome.problems.push(`permerror without ${cause} (findings: ${outcome.findings.join(', ') || 'none'})`);
      }
      if (mailfrom && ['pass', 'fail', 'softfail', 'neutral'].includes(mailfrom.result) && ids.has('spf-syntax-error')) {
        outcome.problems.push(`${mailfrom.result} next to spf-syntax-error`);
      }
      if (mailfrom?.treeResult !== undefined && mailfrom.treeResult !== mailfrom.result && !mailfrom.limitNote) {
        outcome.problems.push(`the tree gives ${mailfrom.treeResult} where mailauth gives ${mailfrom.result}, and no note says why`);
      }
      if (mailfrom && mailfrom.result !== 'permerror' && PERMERROR_FINDINGS.some((id) => ids.has(id)) && !mailfrom.verdictNote && !mailfrom.limitNote) {
        outcome.problems.push(`${mailfrom.result} next to a permerror finding (${outcome.findings.join(', ')}) without a note saying why`);
      }
    }
    return outcomes;
  } finally {
    await server.close();
  }
}

/** A test the CLI rightly refuses: the identity is no domain name mailaudit audits. Each with why it is right to refuse. */
const REFUSED_BY_DESIGN: Record<string, RegExp> = {
  toolonglabel: /label of 64 octets/,
  emptylabel: /empty label/,
  'helo-not-fqdn': /single label/,
  'helo-domain-literal': /IP address/,
  'domain-literal': /IP address/,
};

test('rfc7208 suite: every test passes, or is refused by design with its reason', async (t) => {
  t.timeout(600_000);
  const all: Outcome[] = [];
  for (let i = 0; i < scenarios.length; i++) all.push(...(await runScenario(i)));
  t.is(all.length, 203, 'the suite has 203 tests');
  const refused = all.filter((o) => o.refused);
  const failed = all.filter((o) => !o.refused && o.problems.length);
  for (const o of failed) t.log(`FAIL ${o.test.scenario} / ${o.test.name}: ${o.problems.join('; ')}`);
  for (const o of refused) {
    const why = REFUSED_BY_DESIGN[o.test.name];
    t.truthy(why, `${o.test.name} refused: ${o.refused}`);
    if (why) t.regex(o.refused!, why, o.test.name);
    t.log(`refused by design: ${o.test.name} (${identityDomain(o.test)}): ${o.refused}`);
  }
  const passed = all.length - refused.length - failed.length;
  const summary = `rfc7208 suite: ${passed}/${all.length} pass, ${refused.length} refused by design`;
  console.log(summary);
  t.log(summary);
  t.deepEqual(
    failed.map((o) => `${o.test.name}: ${o.problems.join('; ')}`),
    [],
  );
  t.is(passed + refused.length, 203);
});
