import { createHash } from 'node:crypto';
import { AREAS, LEVEL_WORDS, type AreaVerdict, type Level } from '../fleet/verdicts.js';
import { DOCS_BASE_URL, VERSION } from '../paths.js';
import { escapeControls } from './text-escape.js';

/**
 * What every HTML page shares: escaping, the page shell with its Content-Security-Policy, the style
 * sheet and the verdict badges. A page is one self-contained file: no fetch, no external script, font
 * or style; the inline style and script are allowed by their SHA-256 hash only (`default-src 'none'`).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Controls that a browser hides (ESC, BEL, ...) or that reorder what follows (bidirectional
 * overrides): shown as in the text report (`\x1b`), so a record cannot hide part of itself. Line feed
 * and tab stay: in HTML they are white space.
 */
const HIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text for an element or an attribute value: everything from DNS, SMTP or a certificate goes through here. */
export function esc(value: unknown): string {
  return escapeControls(String(value ?? ''), HIDDEN).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A tagged template that escapes every interpolated value unless it is already Html. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | undefined | null | false | readonly Part[];

function flatten(part: Part): string {
  if (part === undefined || part === null || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(flatten).join('');
  return esc(part);
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => (out += flatten(p) + strings[i + 1]!));
  return new Html(out);
}

export const raw = (text: string) => new Html(text);

/** An id usable in a URL fragment, from a domain name (already A-labels). */
export const anchor = (prefix: string, name: string) => `${prefix}-${name.replace(/[^a-z0-9.-]/gi, '_')}`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** `RFC 7208 §4.6.4` → a link to the section at the RFC Editor; anything else stays text. */
export function referenceLink(ref: string): Html {
  const m = /^RFC\s*(\d+)(?:\s*§\s*(\d+(?:\.\d+)*))?/i.exec(ref);
  if (!m) return html`<span class="ref">${ref}</span>`;
  const url = `https://www.rfc-editor.org/rfc/rfc${m[1]}${m[2] ? `#section-${m[2]}` : ''}`;
  return html`<a class="ref" href="${url}" rel="noopener noreferrer">${ref}</a>`;
}

export const ruleDocUrl = (id: string) => `${DOCS_BASE_URL}${encodeURIComponent(id)}.md`;

const ICONS: Record<Level, string> = { good: '✓', weak: '!', bad: '✕', none: '–', unknown: '?', off: '·' };

/** A verdict as a colour, an icon and a word (never colour alone). */
export function badge(level: Level, extra?: string): Html {
  return html`<span class="badge lv-${level}" title="${extra ?? LEVEL_WORDS[level]}"><span class="ic" aria-hidden="true">${ICONS[level]}</span>${LEVEL_WORDS[level]}</span>`;
}

/** The row of area cards at the top of a domain. */
export function verdictCards(verdicts: readonly AreaVerdict[]): Html {
  const label = new Map(AREAS.map((a) => [a.id, a.label]));
  return html`<ul class="cards">${verdicts.map(
    (v) => html`<li class="card lv-${v.level}"><span class="area">${label.get(v.area)}</span>${badge(v.level)}<span class="detail">${v.detail}</span></li>`,
  )}</ul>`;
}

export function legend(): Html {
  const levels: Level[] = ['good', 'weak', 'bad', 'none', 'unknown', 'off'];
  return html`<p class="legend">${levels.map((l) => html`${badge(l)} `)}<span class="muted">Failing: an error finding or a missing core record. Weak: a warning. None: an optional record not published.</span></p>`;
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--accent:#0b5cad;
--good:#0072b2;--good-bg:#e3f0f9;--weak:#8a5a00;--weak-bg:#fdf1d6;--bad:#b13d00;--bad-bg:#fbe6da;
--none:#59636e;--none-bg:#eef1f4;--unknown:#8e3d72;--unknown-bg:#f6e6f0;--off:#8c959f;--off-bg:#f6f8fa}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{background:#0d1b2a;color:#fff;padding:22px 32px 18px}
header.top h1{margin:0;font-size:24px;font-weight:650;letter-spacing:-.01em}
header.top p{margin:4px 0 0;color:#b9c4d0;font-size:13px}
main{max-width:1260px;margin:0 auto;padding:24px 32px 48px}
section.domain,section.panel{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 26px;margin:0 0 24px;box-shadow:0 1px 2px rgba(31,35,40,.06)}
h2{font-size:21px;margin:0 0 4px;letter-spacing:-.01em}
h3{font-size:15px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:26px 0 10px;font-weight:650}
h4{font-size:15px;margin:14px 0 6px}
.muted{color:var(--muted)}.small{font-size:13px}.nowrap{white-space:nowrap}
.counts{margin:0 0 16px;color:var(--muted)}
.cards{list-style:none;margin:14px 0 0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.card{border:1px solid var(--line);border-left:5px solid var(--off);border-radius:8px;padding:9px 12px;display:flex;flex-direction:column;gap:2px;background:#fff}
.card .area{font-weight:650;font-size:13px;letter-spacing:.03em}
.card .detail{font-size:12.5px;color:var(--muted);overflow-wrap:anywhere}
.badge{display:inline-flex;align-items:center;gap:5px;font-weight:650;font-size:13px;border-radius:999px;padding:1px 9px 1px 3px;width:max-content;white-space:nowrap}
.badge .ic{display:inline-flex;width:17px;height:17px;border-radius:50%;align-items:center;justify-content:center;font-size:11px;color:#fff;font-weight:800}
.lv-good{border-left-color:var(--good)}.badge.lv-good{color:var(--good);background:var(--good-bg)}.lv-good .ic{background:var(--good)}
.lv-weak{border-left-color:#e69f00}.badge.lv-weak{color:var(--weak);background:var(--weak-bg)}.lv-weak .ic{background:#e69f00}
.lv-bad{border-left-color:#d55e00}.badge.lv-bad{color:var(--bad);background:var(--bad-bg)}.lv-bad .ic{background:#d55e00}
.lv-none{border-left-color:#aab3bd}.badge.lv-none{color:var(--none);background:var(--none-bg)}.lv-none .ic{background:#8c959f}
.lv-unknown{border-left-color:#cc79a7}.badge.lv-unknown{color:var(--unknown);background:var(--unknown-bg)}.lv-unknown .ic{background:#cc79a7}
.lv-off{border-left-color:#d1d9e0}.badge.lv-off{color:var(--off);background:var(--off-bg)}.lv-off .ic{background:#c4ccd4}
.legend{display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:13px;margin:0 0 20px}
.legend .muted{margin-left:6px}
nav.toc{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 22px;margin:0 0 24px}
nav.toc ol{margin:6px 0 0;padding-left:22px;columns:2 260px}nav.toc li{margin:2px 0}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:650;background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.records dt{font-weight:650;font-size:13px;color:var(--muted);margin-top:10px}
.records dd{margin:2px 0 0}
.rec{display:block;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:6px 10px;overflow-wrap:anywhere;white-space:pre-wrap}
.group{margin:18px 0 0}
.group>h4{display:flex;gap:8px;align-items:center;text-transform:uppercase;letter-spacing:.05em;font-size:13px;color:var(--muted);border-bottom:1px solid var(--line);padding-bottom:4px}
.finding{border:1px solid var(--line);border-left:5px solid var(--off);border-radius:8px;padding:10px 14px;margin:10px 0;background:#fff;break-inside:avoid}
.finding.sev-error{border-left-color:#d55e00}.finding.sev-warning{border-left-color:#e69f00}.finding.sev-note{border-left-color:var(--good)}
.finding .head{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.sev{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;border-radius:4px;padding:0 6px}
.sev-error .sev,.sev.sev-error{color:var(--bad);background:var(--bad-bg)}.sev-warning .sev,.sev.sev-warning{color:var(--weak);background:var(--weak-bg)}.sev-note .sev,.sev.sev-note{color:var(--good);background:var(--good-bg)}
.finding .id{font-weight:650}
.finding p{margin:6px 0 0}
.finding .meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 0;font-size:13px}
.finding .meta dt{color:var(--muted)}.finding .meta dd{margin:0;overflow-wrap:anywhere}
.ref+.ref::before{content:" · ";color:var(--muted)}
.ok-line{color:var(--good);font-weight:650}
.tree,.tree ul{list-style:none;margin:0;padding:0}
.tree ul{margin-left:18px;border-left:2px solid var(--line);padding-left:12px}
.tree li{margin:6px 0}
.node{display:grid;grid-template-columns:minmax(180px,1fr) 120px 130px;gap:10px;align-items:center;border:1px solid var(--line);border-radius:8px;padding:6px 10px;background:#fff}
.node.hot{border-color:#d55e00;background:var(--bad-bg)}
.node .name{overflow-wrap:anywhere}.node .name small{color:var(--muted);display:block}
.node .cost{font-variant-numeric:tabular-nums;font-size:13px}
.node .flag{font-size:12px;font-weight:650;color:var(--bad)}
.budget{display:block}
.pill{display:inline-block;font-size:12px;border-radius:4px;padding:0 6px;background:var(--none-bg);color:var(--none);margin:1px 4px 1px 0}
.conv{border:1px solid var(--line);border-radius:8px;margin:12px 0;overflow:hidden;break-inside:avoid}
.conv>header{background:#fafbfc;padding:8px 12px;border-bottom:1px solid var(--line);display:flex;gap:10px;flex-wrap:wrap;align-items:baseline}
.conv .body{padding:8px 12px}
.conv dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
.conv dt{color:var(--muted);font-size:13px}.conv dd{margin:0;overflow-wrap:anywhere}
.chart{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:16px}
.chart figure{margin:0;border:1px solid var(--line);border-radius:10px;padding:14px 16px;background:#fff}
.chart figcaption{font-weight:650;margin-bottom:8px}
.chart table td{border:0;padding:2px 6px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:0 0 20px;padding:0;list-style:none}
.kpis li{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.kpis .big{font-size:28px;font-weight:700;font-variant-numeric:tabular-nums;display:block;line-height:1.2}
.tools{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:0 0 12px}
.tools input,.tools select{font:inherit;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:#fff}
.tools input{min-width:260px}
#domains th{white-space:nowrap;padding:6px 6px}#domains td{padding:5px 6px}#domains th button{all:unset;cursor:pointer}
#domains th button::after{content:" ↕";color:#aab3bd}
#domains th[aria-sort=ascending] button::after{content:" ↑";color:var(--fg)}
#domains th[aria-sort=descending] button::after{content:" ↓";color:var(--fg)}
#domains td .badge{font-size:12px}
#domains tr.detail td{background:#fafbfc}
#domains button.open{all:unset;cursor:pointer;color:var(--accent);font-weight:600;white-space:nowrap}
#domains td{white-space:nowrap}#domains tr.detail td{white-space:normal}
#domains button.open::before{content:"▸ ";color:var(--muted)}
#domains button.open[aria-expanded=true]::before{content:"▾ "}
.scroll{overflow-x:auto}
.changes{list-style:none;padding:0;margin:0}.changes li{padding:4px 0;border-bottom:1px solid var(--line)}
table.rules td{vertical-align:middle}
.delta-better{color:var(--good);font-weight:650}.delta-worse{color:var(--bad);font-weight:650}
footer{color:var(--muted);font-size:12px;text-align:center;margin:24px 0}
@media (max-width:700px){main{padding:16px}.node{grid-template-columns:1fr}}
@media print{body{background:#fff;font-size:11pt}header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 8px}header.top p{color:#333}
main{padding:0;max-width:none}section.domain,section.panel,nav.toc{box-shadow:none;break-inside:auto;border-color:#999}
.tools,#domains button.open::before{display:none}#domains tr.detail[hidden]{display:none}a{color:#000}
.badge,.card,.finding,.node,.sev,.badge .ic{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

export interface PageOptions {
  title: string;
  subtitle: string;
  body: Html;
  /** Inline script (allowed by its hash). */
  script?: string;
}

/** The whole document: strict CSP, the style sheet inline, no external resource of any kind. */
export function page(options: PageOptions): string {
  const scriptSrc = options.script ? `script-src ${sha256(options.script)}` : `script-src 'none'`;
  const csp = `default-src 'none'; style-src ${sha256(STYLE)}; ${scriptSrc}; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="mailaudit ${esc(VERSION)}">
<title>${esc(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><h1>${esc(options.title)}</h1><p>${esc(options.subtitle)}</p></header>
<main>
${options.body.text}
</main>
<footer>mailaudit ${esc(VERSION)} · a self-contained page: nothing is loaded from the network</footer>
${options.script ? `<script>${options.script}</script>\n` : ''}</body>
</html>
`;
}
