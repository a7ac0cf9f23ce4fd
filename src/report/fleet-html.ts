import type { Rule } from '../engine/rule.js';
import { headline, percent, type FleetDocument } from '../fleet/document.js';
import type { AreaSummary, FleetRow } from '../fleet/summary.js';
import { AREAS, LEVEL_RANK, LEVEL_WORDS, type Level } from '../fleet/verdicts.js';
import { anchor, badge, html, legend, page, ruleDocUrl, type Html } from './html-page.js';

/**
 * `mailaudit report --format html`: the dashboard of a list run. Charts are inline SVG; the domain
 * table is sorted and filtered by a few lines of inline script (allowed by its hash), and stays
 * readable without it.
 */

// Okabe–Ito colours: told apart with the common colour-vision deficiencies; every chart also has a table.
const BLUE = '#0072b2';
const SKY = '#56b4e9';
const GREEN = '#009e73';
const ORANGE = '#e69f00';
const VERMILLION = '#d55e00';
const PURPLE = '#cc79a7';
const GREY = '#a3acb5';
const LIGHT = '#dde3e9';

const KEY_COLOURS: Record<string, Record<string, string>> = {
  mx: { hosts: BLUE, 'null-mx': GREY, missing: ORANGE, unknown: PURPLE },
  spf: { ok: BLUE, 'too-many-lookups': ORANGE, error: VERMILLION, missing: '#8c2d00', unknown: PURPLE },
  dmarc: { reject: BLUE, quarantine: SKY, none: ORANGE, missing: VERMILLION, invalid: '#8c2d00', unknown: PURPLE },
  dkim: { found: BLUE, 'not-found': ORANGE, 'not-needed': GREY, unknown: PURPLE, off: LIGHT },
  'mta-sts': { enforce: BLUE, testing: SKY, none: ORANGE, invalid: VERMILLION, missing: GREY, unknown: PURPLE, off: LIGHT },
  'tls-rpt': { ok: BLUE, invalid: VERMILLION, missing: GREY, unknown: PURPLE, off: LIGHT },
  bimi: { ok: BLUE, invalid: VERMILLION, declined: GREEN, missing: GREY, unknown: PURPLE, off: LIGHT },
  dnssec: { 'signed-dane': GREEN, signed: BLUE, unsigned: GREY, unknown: PURPLE, off: LIGHT },
  smtp: { trusted: BLUE, untrusted: ORANGE, 'no-starttls': VERMILLION, 'tls-failed': '#8c2d00', unreachable: PURPLE, 'not-probed': GREY, off: LIGHT },
};

const colourOf = (area: string, key: string) => KEY_COLOURS[area]?.[key] ?? GREY;

const CHART_TITLES: Record<string, string> = {
  dmarc: 'DMARC policy applied',
  spf: 'SPF',
  dkim: 'DKIM',
  smtp: 'STARTTLS with a trusted certificate',
  'mta-sts': 'MTA-STS',
  dnssec: 'DNSSEC',
  mx: 'MX',
  'tls-rpt': 'TLS-RPT',
  bimi: 'BIMI',
};

const swatch = (colour: string) => html`<svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" rx="3" fill="${colour}"/></svg>`;

/** A 100% stacked bar of an area's keys, then the same numbers as a table. */
function areaChart(a: AreaSummary, total: number): Html {
  const W = 320;
  let x = 0;
  const segments = a.counts.map((c) => {
    const w = total ? (c.count / total) * W : 0;
    const seg = html`<rect x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="22" fill="${colourOf(a.area, c.key)}"><title>${c.label}: ${c.count} (${percent(c.count, total)}%)</title></rect>`;
    x += w;
    return seg;
  });
  return html`<figure data-area="${a.area}"><figcaption>${CHART_TITLES[a.area] ?? a.label}</figcaption><svg width="100%" height="22" viewBox="0 0 ${W} 22" preserveAspectRatio="none" role="img" aria-label="${
    CHART_TITLES[a.area] ?? a.label
  }"><rect width="${W}" height="22" fill="${LIGHT}"/>${segments}</svg><table class="small"><tbody>${a.counts.map(
    (c) => html`<tr data-key="${c.key}"><td>${swatch(colourOf(a.area, c.key))} ${c.label}</td><td class="num" data-count>${c.count}</td><td class="num muted">${percent(c.count, total)}%</td></tr>`,
  )}</tbody></table></figure>`;
}

function rulesChart(doc: FleetDocument, rules: Map<string, Rule>): Html {
  const top = doc.rules.slice(0, 15);
  if (!top.length) return html`<p class="ok-line">✓ No rule fired on any domain</p>`;
  const max = Math.max(...top.map((r) => r.domains));
  const sevColour = { error: VERMILLION, warning: ORANGE, note: BLUE } as const;
  return html`<table class="rules"><thead><tr><th>rule</th><th>severity</th><th class="num">domains</th><th class="num">share</th><th></th></tr></thead><tbody>${top.map(
    (r) =>
      html`<tr data-rule="${r.ruleId}"><td><a class="mono" href="${ruleDocUrl(r.ruleId)}" rel="noopener noreferrer">${r.ruleId}</a><br><span class="muted small">${rules.get(r.ruleId)?.summary ?? ''}</span></td><td><span class="sev sev-${r.severity}">${
        r.severity
      }</span></td><td class="num" data-count>${r.domains}</td><td class="num muted">${percent(r.domains, doc.domains)}%</td><td><svg width="200" height="14" viewBox="0 0 200 14" aria-hidden="true"><rect width="200" height="14" rx="3" fill="#eef1f4"/><rect width="${(
        (r.domains / max) *
        200
      ).toFixed(1)}" height="14" rx="3" fill="${sevColour[r.severity]}"/></svg></td></tr>`,
  )}</tbody></table>${doc.rules.length > top.length ? html`<p class="muted small">${doc.rules.length - top.length} more rules fired; the JSON view lists them all.</p>` : ''}`;
}

const SHORT: Record<Level, string> = { good: 'good', weak: 'weak', bad: 'failing', none: 'none', unknown: 'unknown', off: '–' };

function domainRows(rows: FleetRow[], rules: Map<string, Rule>): Html {
  const areaLabel = new Map(AREAS.map((a) => [a.id, a.label]));
  return html`${rows.map((r) => {
    const levels = AREAS.map((a) => html` data-l-${a.id}="${r.verdicts[a.id].level}"`);
    const search = `${r.domain} ${r.rules.join(' ')}`.toLowerCase();
    return html`<tbody data-domain="${r.domain}" data-level="${r.level}"${levels} data-search="${search}"><tr class="row"><td data-v="${r.domain}"><button type="button" class="open mono" aria-expanded="false" aria-controls="${anchor(
      'x',
      r.domain,
    )}">${r.domain}</button></td><td data-v="${LEVEL_RANK[r.level]}">${badge(r.level)}</td><td class="num" data-v="${r.summary.error}">${r.summary.error}</td><td class="num" data-v="${r.summary.warning}">${
      r.summary.warning
    }</td><td class="num" data-v="${r.summary.note}">${r.summary.note}</td>${AREAS.map((a) => {
      const v = r.verdicts[a.id];
      return html`<td data-v="${LEVEL_RANK[v.level]}" data-area="${a.id}" title="${areaLabel.get(a.id)}: ${LEVEL_WORDS[v.level]}, ${v.detail}"><span class="badge lv-${v.level}"><span class="ic" aria-hidden="true">${
        { good: '✓', weak: '!', bad: '✕', none: '–', unknown: '?', off: '·' }[v.level]
      }</span>${SHORT[v.level]}</span></td>`;
    })}</tr><tr class="detail" id="${anchor('x', r.domain)}" hidden><td colspan="${5 + AREAS.length}"><p class="small">${AREAS.map(
      (a) => html`<span class="pill">${areaLabel.get(a.id)}: ${r.verdicts[a.id].detail}</span>`,
    )}</p>${
      r.findings.length
        ? r.findings.map(
            (f) =>
              html`<div class="finding sev-${f.severity}"><div class="head"><span class="sev">${f.severity}</span><a class="id mono" href="${ruleDocUrl(f.ruleId)}" rel="noopener noreferrer">${f.ruleId}</a><span class="muted small mono">${
                f.location
              }</span></div><p>${f.message}</p>${rules.get(f.ruleId) ? html`<p class="small muted">Fix: ${rules.get(f.ruleId)!.fix}</p>` : ''}</div>`,
          )
        : html`<p class="ok-line">✓ No findings</p>`
    }${r.findingsOmitted ? html`<p class="muted small">${r.findingsOmitted} more findings (see the NDJSON)</p>` : ''}</td></tr></tbody>`;
  })}`;
}

function domainTable(doc: FleetDocument, rules: Map<string, Rule>): Html {
  const levelOptions: Level[] = ['bad', 'weak', 'unknown', 'none', 'good'];
  return html`<section class="panel" id="domains-panel"><h2>Domains</h2><div class="tools"><input id="q" type="search" placeholder="Filter by domain or rule id" aria-label="Filter by domain or rule id"><label>Area <select id="area" aria-label="Area"><option value="">worst of all</option>${AREAS.map(
    (a) => html`<option value="${a.id}">${a.label}</option>`,
  )}</select></label><label>Verdict <select id="lv" aria-label="Verdict"><option value="">any</option>${levelOptions.map(
    (l) => html`<option value="${l}">${LEVEL_WORDS[l]}</option>`,
  )}</select></label><span class="muted small">showing <strong id="shown">${doc.rows.length}</strong> of ${doc.rows.length}</span></div>${
    doc.rowsOmitted ? html`<p class="muted small">${doc.rowsOmitted} more domains are counted above but not listed (the page lists the first ${doc.rowLimit}).</p>` : ''
  }<div class="scroll"><table id="domains"><thead><tr><th data-type="text" aria-sort="ascending"><button type="button">Domain</button></th><th data-type="num"><button type="button">Verdict</button></th><th class="num" data-type="num"><button type="button">Err</button></th><th class="num" data-type="num"><button type="button">Warn</button></th><th class="num" data-type="num"><button type="button">Note</button></th>${AREAS.map(
    (a) => html`<th data-type="num"><button type="button">${a.label}</button></th>`,
  )}</tr></thead>${domainRows(doc.rows, rules)}</table></div></section>`;
}

function comparisonPanel(doc: FleetDocument): Html {
  const c = doc.comparison;
  if (!c) return html``;
  const k = c.counts;
  const change = (x: { label: string; from: Level; to: Level }) =>
    html`<span class="pill">${x.label}: ${LEVEL_WORDS[x.from]} → ${LEVEL_WORDS[x.to]}</span>`;
  const list = (title: string, cls: string, items: { domain: string; changes: { label: string; from: Level; to: Level }[] }[], total: number) =>
    items.length
      ? html`<h3>${title} <span class="pill">${total}</span></h3><ul class="changes">${items.map((d) => html`<li><span class="${cls} mono">${d.domain}</span> ${d.changes.map(change)}</li>`)}</ul>`
      : '';
  const findings = (title: string, items: typeof c.newFindings, total: number) =>
    items.length
      ? html`<h3>${title} <span class="pill">${total}</span></h3><table><tbody>${items.map(
          (f) => html`<tr><td class="mono">${f.domain}</td><td><span class="sev sev-${f.severity}">${f.severity}</span></td><td class="mono">${f.ruleId}</td><td>${f.message}</td></tr>`,
        )}</tbody></table>`
      : '';
  return html`<section class="panel" id="comparison"><h2>Since the baseline</h2><p class="muted">Baseline: ${doc.baseline?.join(', ') ?? ''} (${c.baselineDomains} domains)</p><ul class="kpis"><li><span class="big delta-worse" data-kpi="worse">${k.worse}</span>domains worse</li><li><span class="big delta-better" data-kpi="better">${k.better}</span>domains better</li><li><span class="big" data-kpi="new">${k.newFindings}</span>new findings</li><li><span class="big" data-kpi="fixed">${k.fixedFindings}</span>findings fixed</li><li><span class="big">${k.added}/${k.removed}</span>domains added/removed</li></ul>${list(
    'Worse',
    'delta-worse',
    c.worse,
    k.worse,
  )}${list('Better', 'delta-better', c.better, k.better)}${findings('New findings', c.newFindings, k.newFindings)}${findings('Fixed findings', c.fixedFindings, k.fixedFindings)}${
    [c.worse.length < k.worse, c.better.length < k.better, c.newFindings.length < k.newFindings, c.fixedFindings.length < k.fixedFindings].some(Boolean)
      ? html`<p class="muted small">Lists are cut at ${c.listLimit} entries each; the counts cover everything.</p>`
      : ''
  }</section>`;
}

/** Sorting and filtering of the domain table; opening a row's details. Kept small: no framework. */
const SCRIPT = `(()=>{const t=document.getElementById('domains');if(!t)return;
const q=document.getElementById('q'),area=document.getElementById('area'),lv=document.getElementById('lv'),shown=document.getElementById('shown');
const bodies=()=>Array.from(t.tBodies);
function filter(){const s=q.value.trim().toLowerCase(),a=area.value,l=lv.value;let n=0;
for(const b of bodies()){const level=a?b.getAttribute('data-l-'+a):b.dataset.level;const ok=(!s||b.dataset.search.includes(s))&&(!l||level===l);b.hidden=!ok;if(ok)n++;}
shown.textContent=String(n);}
q.addEventListener('input',filter);area.addEventListener('change',filter);lv.addEventListener('change',filter);
const ths=Array.from(t.tHead.rows[0].cells);
ths.forEach((th,i)=>th.querySelector('button').addEventListener('click',()=>{
const dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';ths.forEach(h=>h.removeAttribute('aria-sort'));th.setAttribute('aria-sort',dir);
const num=th.dataset.type==='num',sign=dir==='ascending'?1:-1;
const key=b=>{const v=b.rows[0].cells[i].dataset.v;return num?Number(v):v;};
const sorted=bodies().sort((x,y)=>{const a=key(x),b=key(y);const c=a<b?-1:a>b?1:0;return c*sign||(x.dataset.domain<y.dataset.domain?-1:1);});
for(const b of sorted)t.appendChild(b);}));
t.addEventListener('click',e=>{const btn=e.target.closest('button.open');if(!btn)return;const row=document.getElementById(btn.getAttribute('aria-controls'));
const open=btn.getAttribute('aria-expanded')!=='true';btn.setAttribute('aria-expanded',String(open));row.hidden=!open;});
})();`;

/** The dashboard page of a fleet document. */
export function renderFleetHtml(doc: FleetDocument, options: { rules: readonly Rule[] }): string {
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const n = doc.domains;
  const kpis = html`<ul class="kpis"><li><span class="big" data-kpi="domains">${n}</span>domains</li>${headline(doc).map(
    (h) =>
      html`<li title="${h.note}"><span class="big" data-kpi="${h.label}">${h.total ? `${percent(h.count, h.total)}%` : 'n/a'}</span>${h.label} <span class="muted small">(${
        h.total ? (h.total === n ? h.count : `${h.count} of ${h.total}`) : 'not checked'
      })</span></li>`,
  )}</ul>`;
  const notes = [
    doc.duplicates ? `${doc.duplicates} duplicate reports ignored (a domain in more than one input)` : '',
    doc.skippedLines ? `${doc.skippedLines} input lines that are not domain reports skipped` : '',
  ].filter(Boolean);
  const worst = (['bad', 'weak', 'unknown', 'none', 'good'] as Level[]).map((l) => html`${badge(l)} <strong data-level-count="${l}">${doc.levels[l]}</strong> `);
  const charts = ['dmarc', 'spf', 'dkim', 'smtp', 'mta-sts', 'dnssec', 'mx', 'tls-rpt', 'bimi'].map((id) => areaChart(doc.areas.find((a) => a.area === id)!, n));
  const body = html`${legend()}${kpis}<section class="panel"><h2>Posture</h2><p>Domains by their worst area: ${worst}</p>${notes.map((t) => html`<p class="muted small">${t}</p>`)}<div class="chart">${charts}</div></section><section class="panel"><h2>Rules that fire most</h2>${rulesChart(
    doc,
    rules,
  )}</section>${comparisonPanel(doc)}${domainTable(doc, rules)}`;
  const files = `${doc.inputs.length} file${doc.inputs.length === 1 ? '' : 's'}`;
  const names = doc.inputs.length > 4 ? `${doc.inputs.slice(0, 3).join(', ')} and ${doc.inputs.length - 3} more` : doc.inputs.join(', ');
  return page({ title: `Mail posture of ${n} domain${n === 1 ? '' : 's'}`, subtitle: `${doc.generatedAt} · ${files}: ${names}`, body, script: SCRIPT });
}
