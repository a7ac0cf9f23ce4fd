/**
 * The one-domain HTML page (`--format html`), without a browser: escaping, the Content-Security-Policy,
 * what each section shows, the verdict per area, `-o report.html`. test/html-browser.test.ts renders
 * the same pages in Chromium.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { builtinRules } from '../src/engine/load.js';
import { areaVerdict, AREAS, categoryLookup, domainVerdicts } from '../src/fleet/verdicts.js';
import { esc, html } from '../src/report/html-page.js';
import { renderHtml } from '../src/report/html.js';
import type { Report } from '../src/types.js';
import { runCli } from './helpers/cli.js';
import { auditSingleFixture, HOSTILE, startSingleFixture, type SingleFixture } from './helpers/html-fixtures.js';

let fx: SingleFixture;
let report: Report;
let page: string;
const rules = builtinRules();
const categoryOf = categoryLookup(rules);

test.before(async () => {
  fx = await startSingleFixture();
  report = await auditSingleFixture(fx);
  page = renderHtml(report, { rules });
});

test.after.always(async () => {
  await fx?.close();
});

const domain = (name: string) => report.domains.find((d) => d.domain === name)!;

test('esc and the html template escape every interpolated value', (t) => {
  t.is(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.is(html`<b>${'<i>'}</b>`.text, '<b>&lt;i&gt;</b>');
  t.is(html`<b>${html`<i>`}</b>`.text, '<b><i></b>', 'nested Html is kept');
  t.is(html`${['<', 1, undefined, false, null]}`.text, '&lt;1');
});

test('the fixture really is hostile: the facts hold the markup the page must neutralize', (t) => {
  const h = domain('hostile.test');
  t.true(h.records.spf!.records[0]!.text.includes(HOSTILE.txt));
  t.true(h.records.smtp!.addresses[0]!.greeting!.lines[0]!.includes(HOSTILE.banner));
  t.true(h.records.smtp!.addresses[0]!.tls!.chain[0]!.subject.includes(HOSTILE.certSubject));
  t.true(h.records.smtp!.addresses[0]!.tls!.chain[0]!.subject.includes('<img src=x onerror=alert(3)'));
});

test('markup from records, banners and certificates is escaped: no tag of theirs reaches the page', (t) => {
  t.false(page.includes('<script>alert'), 'no script tag from the records');
  t.false(page.includes('<img src=x'), 'no img tag from the records (nor the certificate)');
  t.false(page.includes('<script\\>'), 'no script tag from the certificate');
  t.false(page.includes('<b>BOLD'), 'no tag from an EHLO keyword');
  t.true(page.includes(esc(HOSTILE.txt)));
  t.true(page.includes(esc(HOSTILE.banner)));
  t.true(page.includes(esc(HOSTILE.certSubject)));
  t.notRegex(page, /<script\b/i, 'the one-domain page needs no script at all');
  t.notRegex(page, /<[a-z][^>]*\son[a-z]+\s*=/i, 'no inline event handler in any tag');
});

test('a strict Content-Security-Policy: nothing but the inline style, allowed by its hash', (t) => {
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
  t.truthy(csp);
  t.regex(csp!, /^default-src 'none';/);
  t.regex(csp!, /script-src 'none'/);
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
  const hash = createHash('sha256').update(style).digest('base64');
  t.true(csp!.includes(`style-src 'sha256-${hash}'`));
  t.notRegex(page, /<(link|iframe|object|embed|img)\b/i, 'no element that loads anything');
  t.notRegex(page, /\sstyle="/, 'no style attribute (the CSP would block it)');
  t.notRegex(page, /(src|href)="(?!https:\/\/|#)/, 'links are https or fragments only');
});

test('two domains: a table of contents linking each section', (t) => {
  const toc = /<nav class="toc"[\s\S]*?<\/nav>/.exec(page)?.[0];
  t.truthy(toc);
  for (const d of report.domains) {
    t.true(toc!.includes(`href="#d-${d.domain}"`));
    t.true(page.includes(`id="d-${d.domain}"`));
  }
});

test('verdicts: SPF over the lookup limit fails, DMARC quarantine with a weaker sp is weak, a 1024-bit DKIM key is weak', (t) => {
  const v = new Map(domainVerdicts(domain('shop.test'), categoryOf).map((x) => [x.area, x]));
  t.is(v.get('spf')!.level, 'bad');
  t.is(v.get('spf')!.key, 'too-many-lookups');
  t.is(v.get('dmarc')!.level, 'weak');
  t.is(v.get('dmarc')!.key, 'quarantine');
  t.is(v.get('dkim')!.level, 'weak');
  t.is(v.get('dkim')!.key, 'found');
  t.is(v.get('smtp')!.key, 'trusted');
  t.is(v.get('smtp')!.level, 'good');
  t.is(v.get('tls-rpt')!.level, 'good');
  t.is(v.get('mta-sts')!.level, 'none');
  t.is(v.get('bimi')!.key, 'missing');
  const h = new Map(domainVerdicts(domain('hostile.test'), categoryOf).map((x) => [x.area, x]));
  t.is(h.get('smtp')!.key, 'untrusted');
  t.is(h.get('dmarc')!.key, 'none');
  t.is(h.get('dmarc')!.level, 'bad', 'dmarc-report-uri-invalid is an error');
  t.is(h.get('dkim')!.key, 'not-found');
});

test('a verdict follows its worst finding: the level is traceable to a finding of the area', (t) => {
  for (const d of report.domains) {
    for (const a of AREAS) {
      const v = areaVerdict(d, a, categoryOf);
      const severities = d.findings.filter((f) => a.categories.includes(categoryOf(f))).map((f) => f.severity);
      if (severities.includes('error')) t.is(v.level, 'bad', `${d.domain} ${a.id}`);
      else if (severities.includes('warning')) t.true(['weak', 'bad'].includes(v.level), `${d.domain} ${a.id}`);
      else t.not(v.level, 'weak', `${d.domain} ${a.id}: weak needs a warning`);
    }
  }
});

test('one card per area at the top of each domain, with its word', (t) => {
  const section = /<section class="domain" id="d-shop.test"[\s\S]*?<\/section>/.exec(page)![0];
  const cards = [...section.matchAll(/<li class="card lv-(\w+)"><span class="area">([^<]+)<\/span>/g)].map((m) => [m[2], m[1]]);
  t.deepEqual(
    cards.map((c) => c[0]),
    AREAS.map((a) => a.label),
  );
  const v = domainVerdicts(domain('shop.test'), categoryOf);
  t.deepEqual(
    cards.map((c) => c[1]),
    v.map((x) => x.level),
  );
});

test('the SPF tree: each include with its lookups; the provider that eats the budget is marked', (t) => {
  const section = /<section class="domain" id="d-shop.test"[\s\S]*?<\/section>/.exec(page)![0];
  const tree = /<ul class="tree"[\s\S]*?<\/ul><\/li><\/ul>/.exec(section)?.[0] ?? section;
  t.regex(tree, /include:_spf\.bigmail\.test/);
  t.regex(tree, /class="node hot"><span class="name mono">include:_spf\.bigmail\.test/);
  t.regex(tree, /7 lookups/, 'bigmail: its include plus six below');
  t.regex(section, /11 DNS lookups of the limit of 10/);
});

test('DMARC as applied with its source; DKIM keys table; each MX conversation with its certificate chain', (t) => {
  const section = /<section class="domain" id="d-shop.test"[\s\S]*?<\/section>/.exec(page)![0];
  t.regex(section, /Policy as applied:<\/strong> quarantine for the domain, none for its subdomains/);
  t.regex(section, /Source: <code>_dmarc\.shop\.test<\/code>/);
  t.regex(section, /<td class="mono">google<\/td><td>rsa<\/td><td class="num">2048<\/td>/);
  t.regex(section, /<td class="mono">selector1<\/td><td>rsa<\/td><td class="num">1024<\/td>/);
  t.regex(section, /<strong class="mono">mx1\.smtpgood\.test<\/strong>/);
  t.regex(section, /<strong class="mono">mx2\.smtpgood\.test<\/strong>/);
  t.regex(section, /<span class="pill mono">STARTTLS<\/span>/);
  t.regex(section, /TLSv1\.[23]/);
  t.regex(section, /CN=mx1\.smtpgood\.test/);
  t.regex(section, /<td class="nowrap">2125-01-01<\/td>/, 'the leaf expiry date');
});

test('findings grouped by category as in the text report, each with its rule page, fix and RFC links', (t) => {
  const section = /<section class="domain" id="d-shop.test"[\s\S]*?<\/section>/.exec(page)![0];
  const groups = [...section.matchAll(/<div class="group"><h4>([a-z-]+) /g)].map((m) => m[1]);
  t.deepEqual(groups.slice(0, 3), ['spf', 'dmarc', 'dkim']);
  t.regex(section, /href="https:\/\/github\.com\/mailaudit\/mailaudit\/blob\/main\/docs\/rules\/spf-too-many-lookups\.md"/);
  t.regex(section, /href="https:\/\/www\.rfc-editor\.org\/rfc\/rfc7208#section-4\.6\.4"/);
  t.regex(section, /<dt>fix<\/dt><dd>/);
  const count = (section.match(/<div class="finding /g) ?? []).length;
  t.is(count, domain('shop.test').findings.length);
});

test('CLI: -o report.html writes HTML without --format; --format html to stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-html-'));
  const out = join(dir, 'report.html');
  const args = ['--dns-server', fx.dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp', '--http-timeout', '1000'];
  const r = await runCli(['shop.test', '-o', out, ...args]);
  t.is(r.stderr, '');
  t.is(r.code, 1, 'an error finding: exit 1 as for every format');
  const written = readFileSync(out, 'utf8');
  t.true(written.startsWith('<!doctype html>'));
  t.regex(written, /Mail audit of shop\.test/);
  const s = await runCli(['shop.test', '--format', 'html', ...args]);
  t.true(s.stdout.startsWith('<!doctype html>'));
  const j = await runCli(['shop.test', '-o', join(dir, 'report.html'), '-f', 'json', ...args]);
  t.is(JSON.parse(readFileSync(out, 'utf8')).domains[0].domain, 'shop.test', '--format wins over the extension');
  t.is(j.stderr, '');
});
