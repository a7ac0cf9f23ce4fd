import { collectDomain } from '../collect/index.js';
import { policyFacts } from '../collect/policy.js';
import { evaluate } from '../engine/evaluate.js';
import type { DomainFacts } from '../facts/index.js';
import type { DomainName } from '../input/domain.js';
import { countSeverities } from '../report/counts.js';
import type { DomainReport } from '../types.js';
import type { AuditRun } from './prepare.js';
import { zoneFor } from './zones.js';

/** Audits one domain within a prepared run. */
export async function auditDomain(run: AuditRun, domain: DomainName): Promise<DomainReport> {
  const zone = zoneFor(run.zones, domain.name);
  let facts: DomainFacts;
  if (zone?.syntaxError) {
    // The zone would not load on a server: report where it breaks, and nothing built on guesses.
    facts = { domain: domain.name, input: domain.input, existence: 'undetermined', zone, lookups: [], dnsFailures: [] };
  } else {
    const selectors = [...new Set([...(run.dkimSelectors ?? []), ...(run.policies[domain.name]?.dkimSelectors ?? [])])];
    facts = await collectDomain(domain.name, domain.input, {
      dns: run.dns,
      zone,
      dkimSelectors: selectors,
      skipDkim: run.skipDkim,
      dkimDiscovery: run.dkimDiscovery,
      https: run.https,
      // DNSSEC belongs to the deployed zone: records read from a zone file are not checked.
      dnssec: zone ? undefined : run.dnssec,
      probe: run.probe,
      senderIps: run.senderIps,
      mailFrom: run.mailFrom,
      helo: run.helo,
    });
  }
  const policy = run.policies[domain.name];
  if (policy && !zone?.syntaxError) facts.policy = policyFacts(facts, policy);
  const findings = evaluate(run.rules, facts, { disabled: run.disabled, severity: run.severity });
  return { domain: domain.name, input: domain.input, findings, summary: countSeverities(findings), records: facts };
}
