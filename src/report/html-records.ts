import type { CertificateFact, DmarcFacts, DomainFacts, SpfNodeFact, SmtpProbeFact } from '../facts/index.js';
import type { DomainReport } from '../types.js';
import { describeDmarcPolicy } from './text-dmarc.js';
import { transportLines } from './text-transport.js';
import { html, type Html } from './html-page.js';

/** The records of one domain as HTML: MX, SPF (with its include tree), DMARC, DKIM, the other standards, the SMTP conversations. */

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const LIMIT = 10;

function mxBlock(f: DomainFacts): Html {
  const mx = f.mx;
  if (!mx) return html``;
  if (mx.status !== 'found') {
    const implicit = mx.implicitAddresses?.length ? ` (senders fall back to ${mx.implicitAddresses.join(', ')})` : '';
    return html`<dt>MX</dt><dd>${mx.status === 'absent' ? `none${implicit}` : 'undetermined (lookup failed)'}</dd>`;
  }
  return html`<dt>MX</dt><dd><table><thead><tr><th class="num">pref</th><th>host</th><th>addresses</th><th>reverse DNS</th></tr></thead><tbody>${mx.hosts.map(
    (h) =>
      html`<tr><td class="num">${h.preference}</td><td class="mono">${h.isNull ? '. (null MX)' : h.exchange}${h.cname ? html` <span class="pill">CNAME ${h.cname}</span>` : ''}</td><td class="mono">${
        h.addresses.join(', ') || (h.isNull ? '' : h.addressStatus === 'undetermined' ? 'lookup failed' : 'none')
      }</td><td class="mono">${(h.reverse ?? []).map((r) => html`${r.address} → ${r.ptrText}${r.mismatch ? html` <span class="flag">not confirmed</span>` : ''}<br>`)}</td></tr>`,
  )}</tbody></table></dd>`;
}

function nodeStatus(n: SpfNodeFact): string {
  switch (n.status) {
    case 'none':
      return 'no SPF record (permerror)';
    case 'multiple':
      return 'more than one SPF record (permerror)';
    case 'undetermined':
      return 'lookup failed (temperror)';
    case 'loop':
      return `loop: ${n.chainText ?? ''}`;
    case 'not-followed':
      return `not followed: ${n.reason ?? ''}`;
    default:
      return '';
  }
}

/** A bar of the budget of 10: this node's own cost and what lies below it. */
function budgetBar(own: number, below: number): Html {
  const w = 120;
  const unit = w / Math.max(LIMIT, own + below);
  const over = own + below > LIMIT;
  return html`<svg class="budget" width="${w}" height="12" viewBox="0 0 ${w} 12" role="img" aria-label="${own + below} of ${LIMIT} lookups"><rect x="0" y="1" width="${w}" height="10" rx="3" fill="#eef1f4"/><rect x="0" y="1" width="${(own * unit).toFixed(1)}" height="10" rx="3" fill="${over ? '#d55e00' : '#0072b2'}"/><rect x="${(own * unit).toFixed(1)}" y="1" width="${(below * unit).toFixed(1)}" height="10" fill="${over ? '#e69f00' : '#56b4e9'}"/></svg>`;
}

/** The include/redirect tree as nested lists; the include that costs most is marked. */
function spfTree(f: DomainFacts): Html {
  const tree = f.spf?.tree;
  if (!tree?.length) return html``;
  const children = tree[0]!.children.map((id) => tree[id]!);
  const heaviest = children.reduce<SpfNodeFact | undefined>((a, n) => (!a || n.totalLookups > a.totalLookups ? n : a), undefined);
  const hot = heaviest && heaviest.totalLookups + 1 >= 4 ? heaviest.id : undefined;
  const walk = (n: SpfNodeFact, top: boolean): Html => {
    const cost = top ? n.totalLookups : 1 + n.totalLookups;
    const own = top ? n.lookups : 1 + n.lookups;
    const status = nodeStatus(n);
    const share = !top && (f.spf?.lookupCount ?? 0) > 0 ? Math.round((cost / (f.spf!.lookupCount ?? 1)) * 100) : undefined;
    const label = top ? n.name : (n.viaTerm ?? n.name);
    return html`<li><div class="node${n.id === hot ? ' hot' : ''}"><span class="name mono">${label}${!top && n.viaTerm && n.viaTerm !== n.name ? html`<small>${n.name}</small>` : ''}${
      status ? html`<small class="flag">${status}</small>` : ''
    }${n.record ? html`<small>${n.record}</small>` : ''}</span><span class="cost">${plural(cost, 'lookup')}${share !== undefined ? html` <span class="muted">(${share}%)</span>` : ''}${
      n.totalVoids ? html`<br><span class="muted">${plural(n.totalVoids, 'void lookup')}</span>` : ''
    }${n.id === hot ? html`<br><span class="flag">uses most of the budget</span>` : ''}</span>${budgetBar(own, cost - own)}</div>${
      n.children.length ? html`<ul>${n.children.map((id) => walk(tree[id]!, false))}</ul>` : ''
    }</li>`;
  };
  const spf = f.spf!;
  const partial = tree.some((n) => n.status === 'undetermined' || n.status === 'not-followed') ? 'at least ' : '';
  const counts = html`${partial}${plural(spf.lookupCount ?? 0, 'DNS lookup')} of the limit of ${LIMIT}, ${partial}${plural(spf.voidLookupCount ?? 0, 'void lookup')} of 2 (RFC 7208 §4.6.4).`;
  // A record with no include or redirect has no tree to draw.
  if (tree.length === 1) return html`<p class="small">${counts}</p>`;
  return html`<p class="small">${counts} Each node counts its include or redirect term and everything below it.</p><ul class="tree" aria-label="SPF include tree">${walk(tree[0]!, true)}</ul>`;
}

function spfBlock(f: DomainFacts): Html {
  const spf = f.spf;
  if (!spf) return html``;
  const record = spf.records.length
    ? spf.records.map((r) => html`<code class="rec">${r.text}</code>`)
    : html`${spf.status === 'absent' ? 'none' : 'undetermined (lookup failed)'}`;
  const senders = (spf.senderResults ?? []).map(
    (s) => html`<li>mail from <code>${s.ip}</code>: <strong>${s.result}</strong>${s.decidedBy ? ` by ${s.decidedBy.term}${s.decidedBy.name !== f.domain ? ` at ${s.decidedBy.name}` : ''}` : ''}${s.limitNote ? html` <span class="muted">${s.limitNote}</span>` : ''}</li>`,
  );
  return html`<dt>SPF</dt><dd>${record}${spfTree(f)}${senders.length ? html`<ul>${senders}</ul>` : ''}</dd>`;
}

function dmarcBlock(domain: string, dmarc: DmarcFacts | undefined): Html {
  if (!dmarc) return html``;
  const record = dmarc.records.length
    ? dmarc.records.map((r) => html`<code class="rec">${r.text}</code>`)
    : dmarc.inheritedRecord
      ? html`none at <code>${dmarc.name}</code>; found at <code>${dmarc.inheritedRecord.name}</code>: <code class="rec">${dmarc.inheritedRecord.text}</code>`
      : html`${dmarc.status === 'undetermined' ? 'undetermined (lookup failed)' : 'none'}`;
  const e = dmarc.effective;
  const applied = e
    ? html`<p><strong>Policy as applied:</strong> ${describeDmarcPolicy(domain, e)}.<br><span class="muted">Source: <code>${e.source}</code>${e.appliedTag ? `, tag ${e.appliedTag}=` : ''}${
        e.organizationalDomain ? `, organizational domain ${e.organizationalDomain}` : ''
      }${e.fromPsd ? ' (public suffix operator record)' : ''}</span></p>`
    : dmarc.count > 1
      ? html`<p><strong>Policy as applied:</strong> none (several records are discarded)</p>`
      : '';
  const walk = dmarc.walk?.length
    ? html`<p class="small muted">Tree walk (RFC 9989 §4.10): ${dmarc.walk.map(
        (s, i) => html`${i ? ' → ' : ''}<code>${s.name}</code> <span class="pill">${s.result}${s.psd ? ` psd=${s.psd}` : ''}</span>${s.name === e?.source ? html` <strong>applies</strong>` : ''}`,
      )}</p>`
    : '';
  return html`<dt>DMARC</dt><dd>${record}${applied}${walk}</dd>`;
}

function dkimBlock(f: DomainFacts): Html {
  const dkim = f.dkim;
  if (!dkim) return html``;
  const tried = dkim.tried.length ? `${plural(dkim.tried.length, 'selector')} tried` : 'no selector asked';
  if (!dkim.keys.length) {
    const what = dkim.status === 'undetermined' ? 'undetermined (lookups failed)' : dkim.sendsMail ? 'no key found' : 'no key (none needed: the domain sends no mail)';
    return html`<dt>DKIM</dt><dd>${what} <span class="muted">(${tried}${dkim.wildcard ? ', wildcard under _domainkey set aside' : ''})</span></dd>`;
  }
  const flags = (k: (typeof dkim.keys)[number]) =>
    [k.revoked && 'revoked', k.testing && 'testing (t=y)', k.strictIdentity && 't=s', k.sha1Allowed && 'sha1 allowed', k.encoding === 'pkcs1' && 'PKCS#1', !k.valid && !k.revoked && 'unusable'].filter(
      (x): x is string => Boolean(x),
    );
  return html`<dt>DKIM</dt><dd><p class="small muted">${plural(dkim.keys.length, 'key')} found (${tried})</p><table><thead><tr><th>selector</th><th>type</th><th class="num">bits</th><th>flags</th><th>record</th></tr></thead><tbody>${dkim.keys.map(
    (k) =>
      html`<tr><td class="mono">${k.selector}</td><td>${k.keyType}</td><td class="num">${k.bits ?? '–'}</td><td>${flags(k).map((x) => html`<span class="pill">${x}</span>`)}</td><td class="mono small">${
        k.text.length > 90 ? `${k.text.slice(0, 90)}…` : k.text
      }</td></tr>`,
  )}</tbody></table></dd>`;
}

function transportBlock(f: DomainFacts): Html {
  return html`${transportLines(f).map((line) => {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    return html`<dt>${m?.[1] ?? ''}</dt><dd>${m?.[2] ?? line}</dd>`;
  })}`;
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');

function chainTable(chain: CertificateFact[]): Html {
  return html`<table><thead><tr><th>#</th><th>subject</th><th>issuer</th><th class="nowrap">valid from</th><th class="nowrap">until</th><th>key</th></tr></thead><tbody>${chain.map(
    (c, i) =>
      html`<tr><td>${i}</td><td class="mono small">${c.subject}${c.subjectAltNames.length ? html`<br><span class="muted">SAN: ${c.subjectAltNames.join(', ')}</span>` : ''}</td><td class="mono small">${c.issuer}${
        c.selfSigned ? html` <span class="pill">self-signed</span>` : ''
      }</td><td class="nowrap">${day(c.notBefore)}</td><td class="nowrap">${day(c.notAfter)}</td><td class="nowrap">${c.keyType}${c.keyBits ? ` ${c.keyBits}` : ''}${c.curve ? ` ${c.curve}` : ''}</td></tr>`,
  )}</tbody></table>`;
}

function conversation(label: string, p: SmtpProbeFact & { verdict: string }): Html {
  const addr = p.address.includes(':') ? `[${p.address}]` : p.address;
  const tls = p.tls;
  const tlsText = tls
    ? `${tls.version}, ${tls.cipher}; ${tls.trusted ? 'trusted chain' : `not trusted (${tls.trustError ?? tls.verifyError ?? 'unknown'})`}; ${tls.validity}; ${
        tls.nameMatches ? 'name matches' : `name does not match (${tls.nameError ?? ''})`
      }`
    : undefined;
  return html`<article class="conv"><header><strong class="mono">${p.host}</strong><span class="mono muted">${addr}:${p.port}</span><span class="pill">${label}</span><span>${p.verdict}</span></header><div class="body"><dl>
<dt>outcome</dt><dd>${p.outcome}${p.error ? ` (${p.error})` : ''}${p.failedStep ? `, failed at ${p.failedStep}` : ''}</dd>
${p.greeting ? html`<dt>banner</dt><dd><code class="rec">${p.greeting.code} ${p.greeting.lines.join('\n')}</code></dd>` : ''}
${p.ehlo?.length ? html`<dt>EHLO</dt><dd>${p.ehlo.map((k) => html`<span class="pill mono">${k}</span>`)}</dd>` : ''}
${p.ehloTls?.length ? html`<dt>EHLO over TLS</dt><dd>${p.ehloTls.map((k) => html`<span class="pill mono">${k}</span>`)}</dd>` : ''}
${p.failedReply ? html`<dt>last reply</dt><dd><code class="rec">${p.failedReply.code} ${p.failedReply.lines.join('\n')}</code></dd>` : ''}
${tlsText ? html`<dt>TLS</dt><dd>${tlsText}</dd>` : ''}
${tls?.chain.length ? html`<dt>certificates</dt><dd>${chainTable(tls.chain)}</dd>` : ''}
</dl></div></article>`;
}

export function smtpBlock(d: DomainReport): Html {
  const smtp = d.records.smtp;
  const sub = d.records.submission;
  if (!smtp && !sub) return html``;
  const none = smtp?.status === 'none' ? html`<p>Nothing probed (${d.records.mx?.nullMx ? 'null MX' : 'no MX address known'}).</p>` : '';
  const subNone = sub && sub.endpoints.length === 0 ? html`<p>Submission host ${sub.host}: ${sub.addressStatus === 'absent' ? 'no address' : 'address lookup failed'}</p>` : '';
  return html`<h3>Mail servers</h3>${none}${(smtp?.addresses ?? []).map((a) => conversation(a.implicit ? 'implicit MX' : `MX ${a.preference}`, a))}${subNone}${(sub?.endpoints ?? []).map((e) =>
    conversation('submission', e),
  )}`;
}

export function recordsBlock(d: DomainReport): Html {
  const f = d.records;
  return html`<h3>Records</h3><dl class="records">${mxBlock(f)}${spfBlock(f)}${dmarcBlock(f.domain, f.dmarc)}${dkimBlock(f)}${transportBlock(f)}</dl>`;
}
