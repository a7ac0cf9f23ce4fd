import { readFileSync } from 'node:fs';
import test from 'ava';
import { collectDomain } from '../src/collect/index.js';
import { applyDane, probedChains } from '../src/collect/dane.js';
import { matchTlsa, tlsaFor } from '../src/dane/tlsa.js';
import { CachingDnsSource } from '../src/dns/cache.js';
import { LiveDnsSource } from '../src/dns/live.js';
import { parseZone } from '../src/dns/zonefile.js';
import { evaluate } from '../src/engine/evaluate.js';
import { builtinRules } from '../src/engine/load.js';
import type { DomainFacts } from '../src/facts/index.js';
import { startDnsServer } from './helpers/dns-server.js';

// Certificates made by test/certs/generate.sh: server is issued by ca; other-leaf by other-ca.
const der = (name: string) => readFileSync(`test/certs/${name}.der`);
const server = der('server');
const ca = der('ca');
const otherLeaf = der('other-leaf');
const otherCa = der('other-ca');

test('usage 3 (DANE-EE) matches the leaf, for every selector and matching type', (t) => {
  for (const selector of [0, 1]) {
    for (const matchingType of [0, 1, 2]) {
      const record = tlsaFor(server, 3, selector, matchingType);
      t.deepEqual(matchTlsa([record], [server, ca]), { matched: true, record: 0, certificate: 0 }, `3 ${selector} ${matchingType}`);
      t.false(matchTlsa([record], [otherLeaf, ca]).matched, `3 ${selector} ${matchingType} against another leaf`);
    }
  }
});

test('usage 3 matches the leaf only, never a certificate above it', (t) => {
  t.false(matchTlsa([tlsaFor(ca, 3, 1, 1)], [server, ca]).matched);
});

test('usage 2 (DANE-TA) matches an issuing certificate in the chain, for every selector and matching type', (t) => {
  for (const selector of [0, 1]) {
    for (const matchingType of [0, 1, 2]) {
      const record = tlsaFor(ca, 2, selector, matchingType);
      t.deepEqual(matchTlsa([record], [server, ca]), { matched: true, record: 0, certificate: 1 }, `2 ${selector} ${matchingType}`);
    }
  }
});

test('usage 2 does not match the leaf itself, a chain without the anchor, or an anchor that did not issue the leaf', (t) => {
  t.false(matchTlsa([tlsaFor(server, 2, 1, 1)], [server, ca]).matched, 'leaf is not a trust anchor');
  t.false(matchTlsa([tlsaFor(ca, 2, 1, 1)], [server]).matched, 'anchor not presented');
  t.false(matchTlsa([tlsaFor(ca, 2, 1, 1)], [otherLeaf, ca]).matched, 'leaf not issued by the anchor');
  t.true(matchTlsa([tlsaFor(otherCa, 2, 0, 1)], [otherLeaf, otherCa]).matched);
});

test('usages 0 and 1, unknown selectors and matching types are not usable for SMTP', (t) => {
  const ee = tlsaFor(server, 3, 1, 1);
  t.false(matchTlsa([{ ...ee, usage: 1 }], [server, ca]).matched);
  t.false(matchTlsa([{ ...tlsaFor(ca, 2, 1, 1), usage: 0 }], [server, ca]).matched);
  t.false(matchTlsa([{ ...ee, matchingType: 3 }], [server, ca]).matched);
  t.false(matchTlsa([{ ...ee, selector: 2 }], [server, ca]).matched);
});

test('the first usable record that matches is reported; hex case does not matter; no chain never matches', (t) => {
  const good = tlsaFor(server, 3, 1, 1);
  const bad = { ...good, data: '00'.repeat(32) };
  t.deepEqual(matchTlsa([bad, { ...good, data: good.data.toUpperCase() }], [server]), { matched: true, record: 1, certificate: 0 });
  t.false(matchTlsa([good], []).matched);
  t.false(matchTlsa([], [server]).matched);
  t.false(matchTlsa([good], [Buffer.from('not a certificate')]).matched);
});

// ------------------------------------------------------------------------------------------------
// TLSA records served by the test DNS server, matched after the SMTP probe.

const ZONE = `$ORIGIN dane-good.test.
$TTL 1h
@            IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
             IN NS  ns1
             IN MX  10 mx1
             IN MX  20 mx2
_25._tcp.mx1 IN TLSA 3 1 1 ${tlsaFor(server, 3, 1, 1).data}
_25._tcp.mx2 IN TLSA 2 0 1 ${tlsaFor(ca, 2, 0, 1).data}
mx1          IN A   127.0.0.25
mx2          IN A   127.0.0.26
ns1          IN A   127.0.0.53
`;

/** The SMTP probe facts as DANE reads them: `smtp.addresses[*]` with the host and the chain in DER. */
function smtpFacts(chains: Record<string, Record<string, Buffer[]>>) {
  return {
    status: 'probed',
    port: 25,
    addresses: Object.entries(chains).flatMap(([host, addresses]) =>
      Object.entries(addresses).map(([address, chain]) => ({
        host,
        address,
        tls: { chain: chain.map((c) => ({ der: c.toString('base64') })) },
      })),
    ),
  };
}

async function collect(authenticated: boolean, zoneText = ZONE): Promise<{ facts: DomainFacts; close: () => Promise<void> }> {
  const records = parseZone(zoneText, { file: 'dane.zone' }).records;
  const dns = await startDnsServer({ records, authenticatedZones: authenticated ? ['dane-good.test'] : [] });
  const live = new CachingDnsSource(new LiveDnsSource({ servers: [dns.address], timeoutMs: 10_000, tries: 1 }));
  const facts = await collectDomain('dane-good.test', 'dane-good.test', {
    dns: live,
    dnssec: { servers: [dns.address], timeoutMs: 10_000, tries: 1 },
  });
  return { facts, close: () => dns.close() };
}

const ids = (facts: DomainFacts) => evaluate(builtinRules(), facts).map((f) => f.ruleId).filter((id) => id.startsWith('dane') || id.startsWith('dnssec'));

test.serial('TLSA from DNS matched against the certificates the probe saw: match, and mismatch only for presented chains', async (t) => {
  const { facts, close } = await collect(true);
  try {
    t.is(facts.dnssec?.status, 'signed');
    t.deepEqual(facts.dane?.hosts.map((h) => [h.host, h.status, h.authenticated, h.verdict]), [
      ['mx1.dane-good.test', 'found', true, 'not-probed'],
      ['mx2.dane-good.test', 'found', true, 'not-probed'],
    ]);
    // No probe facts: nothing to match, no finding.
    t.deepEqual(ids(facts), []);

    // Both hosts present the certificates their TLSA records name.
    (facts as unknown as Record<string, unknown>)['smtp'] = smtpFacts({
      'mx1.dane-good.test': { '127.0.0.25': [server, ca] },
      'mx2.dane-good.test': { '127.0.0.26': [server, ca] },
    });
    applyDane(facts);
    t.deepEqual(facts.dane?.hosts.map((h) => h.verdict), ['match', 'match']);
    t.deepEqual(ids(facts), []);

    // mx1 presents another key; mx2 a chain from another CA; a third address presents nothing.
    (facts as unknown as Record<string, unknown>)['smtp'] = smtpFacts({
      'mx1.dane-good.test': { '127.0.0.25': [otherLeaf, otherCa], '::1': [] },
      'mx2.dane-good.test': { '127.0.0.26': [otherLeaf, otherCa] },
    });
    applyDane(facts);
    t.deepEqual(facts.dane?.hosts.map((h) => h.verdict), ['mismatch', 'mismatch']);
    const findings = evaluate(builtinRules(), facts).filter((f) => f.ruleId === 'dane-tlsa-mismatch');
    t.deepEqual(
      findings.map((f) => [f.location.name, f.location.type, f.args['address']]),
      [
        ['_25._tcp.mx1.dane-good.test', 'TLSA', '127.0.0.25'],
        ['_25._tcp.mx2.dane-good.test', 'TLSA', '127.0.0.26'],
      ],
    );
  } finally {
    await close();
  }
});

test.serial('TLSA records in a zone the resolver does not authenticate: dane-tlsa-unsigned', async (t) => {
  const { facts, close } = await collect(false);
  try {
    t.is(facts.dnssec?.status, 'unsigned');
    t.deepEqual(facts.dane?.unsigned.map((u) => u.host), ['mx1.dane-good.test', 'mx2.dane-good.test']);
    t.deepEqual(ids(facts).sort(), ['dane-tlsa-unsigned', 'dane-tlsa-unsigned', 'dnssec-unsigned']);
  } finally {
    await close();
  }
});

test('probedChains reads base64 DER chains by host, skipping addresses without certificates', (t) => {
  const facts = { smtp: smtpFacts({ 'MX1.Example.test.': { '192.0.2.1': [server, ca], '192.0.2.2': [] } }) } as unknown as DomainFacts;
  const chains = probedChains(facts);
  t.deepEqual([...chains.keys()], ['mx1.example.test']);
  t.deepEqual(chains.get('mx1.example.test')?.map((c) => [c.address, c.chain.length]), [['192.0.2.1', 2]]);
  t.is(probedChains({} as DomainFacts).size, 0);
});

test.serial('an MX host that is an alias: TLSA at the expanded name first, then at the MX name', async (t) => {
  const zoneText = `${ZONE}mx3 IN CNAME real
real IN A 127.0.0.27
_25._tcp.real IN TLSA 3 1 1 ${tlsaFor(server, 3, 1, 1).data}
mx4 IN CNAME other
other IN A 127.0.0.28
_25._tcp.mx4 IN TLSA 3 1 1 ${tlsaFor(server, 3, 1, 1).data}
`.replace('IN MX  20 mx2', 'IN MX  20 mx2\n             IN MX  30 mx3\n             IN MX  40 mx4');
  const { facts, close } = await collect(true, zoneText);
  try {
    const names = Object.fromEntries(facts.dane!.hosts.map((h) => [h.host, [h.name, h.status]]));
    t.deepEqual(names['mx3.dane-good.test'], ['_25._tcp.real.dane-good.test', 'found']);
    t.deepEqual(names['mx4.dane-good.test'], ['_25._tcp.mx4.dane-good.test', 'found']);
  } finally {
    await close();
  }
});
