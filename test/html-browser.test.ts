/**
 * The HTML pages in a real browser: Chromium from the system's packages (.ci/run installs Debian's
 * `chromium`; CHROMIUM_PATH overrides the path), driven by puppeteer-core, which downloads no browser.
 * Each page must load from a file with no request besides itself and no console error (a CSP violation
 * is one); what it shows must match the JSON; the domain table must filter and sort; markup from
 * records, banners and certificates must stay text. Screenshots go to test-artifacts/ (gitignored).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { builtinRules } from '../src/engine/load.js';
import type { FleetDocument } from '../src/fleet/document.js';
import { AREAS, categoryLookup, domainVerdicts, LEVEL_WORDS } from '../src/fleet/verdicts.js';
import { describeCounts } from '../src/report/counts.js';
import { renderHtml } from '../src/report/html.js';
import { renderNdjsonLine } from '../src/report/ndjson.js';
import type { Report } from '../src/types.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer } from './helpers/dns-server.js';
import { fleetDomain, fleetRecords, fleetSigned, HOSTILE, auditSingleFixture, startSingleFixture } from './helpers/html-fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const FLEET_SIZE = 40;
const STEP_MS = 20_000;

let browser: Browser;
let report: Report;
let fleet: FleetDocument;
const files = { single: join(ARTIFACTS, 'single.html'), shop: join(ARTIFACTS, 'shop.html'), fleet: join(ARTIFACTS, 'dashboard.html') };
const rules = builtinRules();
const categoryOf = categoryLookup(rules);

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const fx = await startSingleFixture();
  try {
    report = await auditSingleFixture(fx);
  } finally {
    await fx.close();
  }
  writeFileSync(files.single, renderHtml(report, { rules }));
  writeFileSync(files.shop, renderHtml({ ...report, domains: report.domains.slice(0, 1), summary: { ...report.domains[0]!.summary, domains: 1 } }, { rules }));

  // The dashboard: a list run over the fleet, plus the hostile domain's report as a second input.
  const dns = await startDnsServer({ records: fleetRecords(FLEET_SIZE), authenticatedZones: fleetSigned(FLEET_SIZE) });
  const list = join(ARTIFACTS, 'fleet-domains.txt');
  const ndjson = join(ARTIFACTS, 'fleet.ndjson');
  const hostile = join(ARTIFACTS, 'hostile.ndjson');
  writeFileSync(list, Array.from({ length: FLEET_SIZE }, (_, i) => fleetDomain(i)).join('\n'));
  writeFileSync(hostile, renderNdjsonLine(report.domains[1]!));
  try {
    const run = await runCli(['-i', list, '-f', 'ndjson', '-o', ndjson, '--no-smtp', '--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--http-timeout', '1000', '-q']);
    if (run.code === 2) throw new Error(run.stderr);
  } finally {
    await dns.close();
  }
  // Relative names, as a user types them (the page shows them).
  const page = await runCli(['report', 'fleet.ndjson', 'hostile.ndjson', '-o', files.fleet], {}, undefined, ARTIFACTS);
  if (page.code !== 0) throw new Error(page.stderr);
  fleet = JSON.parse((await runCli(['report', 'fleet.ndjson', 'hostile.ndjson', '-f', 'json'], {}, undefined, ARTIFACTS)).stdout);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    // Containers often cannot give Chromium its sandbox; the pages are our own fixtures.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: STEP_MS,
    protocolTimeout: STEP_MS,
  });
});

test.after.always(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  requests: string[];
  problems: string[];
}

/** Opens a page from its file, recording every request, console error or warning, page error and dialog. */
async function open(file: string, width = 1280, height = 900): Promise<Opened> {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.setViewport({ width, height });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, problems };
}

test.serial('one-domain page: loads with no request but itself and no console error; hostile markup stays text', async (t) => {
  const { page, requests, problems } = await open(files.single);
  t.deepEqual(requests, [pathToFileURL(files.single).href]);
  t.deepEqual(problems, []);
  t.is(await page.$$eval('script', (s) => s.length), 0);
  t.is(await page.$$eval('img', (s) => s.length), 0, 'the img in the DMARC rua and the certificate stays text');
  const text = await page.$eval('#d-hostile\\.test', (e) => e.textContent ?? '');
  t.true(text.includes(HOSTILE.txt), 'the TXT record');
  t.true(text.includes(HOSTILE.banner), 'the SMTP banner');
  t.true(text.includes(HOSTILE.certSubject), 'the certificate subject');
  t.true(text.includes(HOSTILE.rua));
  // The CSP is in force: a script added now is refused.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__ran = true';
    document.body.appendChild(s);
    return (window as unknown as { __ran?: boolean }).__ran === true;
  });
  t.false(ran, 'inline script blocked by the Content-Security-Policy');
  await page.screenshot({ path: join(ARTIFACTS, 'single.png'), fullPage: true });
  await page.close();
});

test.serial('one-domain page: the verdict cards and counts shown are those of the JSON report', async (t) => {
  const { page, problems } = await open(files.single);
  for (const d of report.domains) {
    const shown = await page.$$eval(`section[data-domain="${d.domain}"] .card`, (cards) =>
      cards.map((c) => ({ area: c.querySelector('.area')!.textContent, word: c.querySelector('.badge')!.textContent!.slice(1), level: c.className.replace('card lv-', '') })),
    );
    const expected = domainVerdicts(d, categoryOf).map((v) => ({ area: AREAS.find((a) => a.id === v.area)!.label, word: LEVEL_WORDS[v.level], level: v.level }));
    t.deepEqual(shown, expected, d.domain);
    t.is(await page.$eval(`section[data-domain="${d.domain}"] .counts`, (e) => e.textContent), describeCounts(d.summary));
    t.is(await page.$$eval(`section[data-domain="${d.domain}"] .finding`, (f) => f.length), d.findings.length);
  }
  t.deepEqual(
    await page.$$eval('nav.toc a', (as) => as.map((a) => a.getAttribute('href'))),
    report.domains.map((d) => `#d-${d.domain}`),
  );
  t.deepEqual(problems, []);
  const shop = await open(files.shop);
  await shop.page.screenshot({ path: join(ARTIFACTS, 'shop.png'), fullPage: true });
  t.deepEqual(shop.problems, []);
  await shop.page.close();
  await page.close();
});

test.serial('dashboard: no request but itself, no console error; the numbers shown are those of the JSON', async (t) => {
  const { page, requests, problems } = await open(files.fleet);
  t.deepEqual(requests, [pathToFileURL(files.fleet).href]);
  t.deepEqual(problems, [], 'the inline script runs under the CSP (allowed by its hash) without error');
  t.is(await page.$eval('[data-kpi="domains"]', (e) => e.textContent), String(fleet.domains));
  t.is(fleet.domains, FLEET_SIZE + 1);
  for (const a of fleet.areas) {
    const shown = await page.$$eval(`figure[data-area="${a.area}"] tr[data-key]`, (rows) =>
      rows.map((r) => ({ key: r.getAttribute('data-key'), count: Number(r.querySelector('[data-count]')!.textContent) })),
    );
    t.deepEqual(
      shown,
      a.counts.map((c) => ({ key: c.key, count: c.count })),
      a.area,
    );
  }
  const rulesShown = await page.$$eval('table.rules tr[data-rule]', (rows) => rows.map((r) => [r.getAttribute('data-rule'), Number(r.querySelector('[data-count]')!.textContent)]));
  t.deepEqual(
    rulesShown,
    fleet.rules.slice(0, 15).map((r) => [r.ruleId, r.domains]),
  );
  for (const level of ['bad', 'weak', 'good'] as const) {
    t.is(await page.$eval(`[data-level-count="${level}"]`, (e) => Number(e.textContent)), fleet.levels[level], level);
  }
  t.is(await page.$$eval('#domains tbody', (b) => b.length), fleet.rows.length);
  const text = await page.$eval('#domains', (e) => e.textContent ?? '');
  t.true(text.includes(HOSTILE.txt), 'a hostile finding message in the details stays text');
  t.is(await page.$$eval('img', (s) => s.length), 0);
  await page.setViewport({ width: 1280, height: 2300 });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-full.png'), fullPage: true });
  await page.close();
});

const visible = (page: Page) => page.$$eval('#domains tbody', (bodies) => bodies.filter((b) => !b.hidden).map((b) => b.getAttribute('data-domain')));

test.serial('dashboard: the domain table filters by text, by area and verdict', async (t) => {
  const { page, problems } = await open(files.fleet);
  await page.type('#q', 'spf-too-many-lookups');
  const withRule = fleet.rows.filter((r) => r.rules.includes('spf-too-many-lookups')).map((r) => r.domain);
  t.true(withRule.length > 0);
  t.deepEqual(await visible(page), withRule);
  t.is(await page.$eval('#shown', (e) => e.textContent), String(withRule.length));
  await page.$eval('#q', (e) => ((e as HTMLInputElement).value = ''));
  await page.type('#q', 'corp');
  t.deepEqual(
    await visible(page),
    fleet.rows.filter((r) => r.domain.includes('corp')).map((r) => r.domain),
  );
  await page.$eval('#q', (e) => ((e as HTMLInputElement).value = ''));
  await page.select('#area', 'dmarc');
  await page.select('#lv', 'bad');
  const dmarcBad = fleet.rows.filter((r) => r.verdicts.dmarc.level === 'bad').map((r) => r.domain);
  t.true(dmarcBad.length > 0);
  t.deepEqual(await visible(page), dmarcBad);
  await page.select('#area', '');
  await page.select('#lv', 'weak');
  t.deepEqual(
    await visible(page),
    fleet.rows.filter((r) => r.level === 'weak').map((r) => r.domain),
  );
  t.deepEqual(problems, []);
  await page.close();
});

test.serial('dashboard: the domain table sorts by a column, both ways; a row opens its details', async (t) => {
  const { page, problems } = await open(files.fleet);
  const errors = () => page.$$eval('#domains tbody', (bodies) => bodies.map((b) => Number(b.rows[0]!.cells[2]!.getAttribute('data-v'))));
  const header = (i: number) => `#domains thead th:nth-child(${i}) button`;
  await page.click(header(3));
  const up = await errors();
  t.deepEqual(up, [...up].sort((a, b) => a - b));
  t.is(await page.$eval('#domains thead th:nth-child(3)', (e) => e.getAttribute('aria-sort')), 'ascending');
  await page.click(header(3));
  const down = await errors();
  t.deepEqual(down, [...down].sort((a, b) => b - a));
  t.is(down[0], Math.max(...fleet.rows.map((r) => r.summary.error)));
  await page.click(header(1));
  await page.click(header(1));
  const names = await page.$$eval('#domains tbody', (bodies) => bodies.map((b) => b.getAttribute('data-domain')!));
  t.deepEqual(names, fleet.rows.map((r) => r.domain).sort().reverse(), 'by domain, descending');
  const row = fleet.rows.find((r) => r.findings.length > 2)!;
  const sel = `#domains tbody[data-domain="${row.domain}"]`;
  t.true(await page.$eval(`${sel} tr.detail`, (e) => (e as HTMLElement).hidden));
  await page.click(`${sel} button.open`);
  t.false(await page.$eval(`${sel} tr.detail`, (e) => (e as HTMLElement).hidden));
  t.is(await page.$eval(`${sel} button.open`, (e) => e.getAttribute('aria-expanded')), 'true');
  t.is(await page.$$eval(`${sel} tr.detail .finding`, (f) => f.length), row.findings.length);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-details.png'), fullPage: true });
  // Printed: no filter controls, the open details stay, the rest of the table too.
  await page.emulateMediaType('print');
  t.is(await page.$eval('.tools', (e) => getComputedStyle(e).display), 'none');
  t.not(await page.$eval(`${sel} tr.detail`, (e) => getComputedStyle(e).display), 'none');
  const pdf = await page.pdf({ format: 'A4', landscape: true });
  t.true(pdf.length > 10_000, 'prints to a PDF');
  t.deepEqual(problems, []);
  await page.close();
});
