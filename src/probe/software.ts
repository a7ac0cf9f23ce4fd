/**
 * Server software named in a greeting or EHLO reply, judged against data/smtp-software.json (issue 16):
 * end-of-life releases and versions with known remotely exploitable vulnerabilities, each entry with
 * its source. A banner says only what the administrator lets it say, and distributions backport fixes
 * without changing the version shown: a finding is a reason to look, not proof.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SmtpProbeFact, SoftwareAdvisoryFact } from '../facts/smtp.js';
import { PACKAGE_ROOT } from '../paths.js';

interface ProductEntry {
  id: string;
  name: string;
  match: string;
}

interface AdvisoryEntry {
  product: string;
  kind: 'end-of-life' | 'vulnerable';
  from: string;
  below: string;
  title: string;
  ids?: string[];
  endOfLife?: string;
  fixedIn?: string;
  source: string;
  checked: string;
  note?: string;
}

export interface SoftwareTable {
  products: ProductEntry[];
  advisories: AdvisoryEntry[];
}

export const SOFTWARE_TABLE_FILE = join(PACKAGE_ROOT, 'data', 'smtp-software.json');

let table: { products: (ProductEntry & { re: RegExp })[]; advisories: AdvisoryEntry[] } | undefined;

function loadTable(): NonNullable<typeof table> {
  if (!table) {
    const raw = JSON.parse(readFileSync(SOFTWARE_TABLE_FILE, 'utf8')) as SoftwareTable;
    table = { products: raw.products.map((p) => ({ ...p, re: new RegExp(p.match, 'i') })), advisories: raw.advisories };
  }
  return table;
}

/** Numeric parts of a version: "4.94.2" → [4, 94, 2]; "6.6.2p1" → [6, 6, 2]; undefined when it does not parse. */
export function versionParts(version: string): number[] | undefined {
  const m = /^(\d+(?:\.\d+)*)(?:p\d+)?$/.exec(version);
  return m ? m[1]!.split('.').map(Number) : undefined;
}

/** -1, 0 or 1; missing parts count as 0 ("15.2" = "15.2.0"). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

const MAX_TEXT = 200;

/** The first product the greeting (then the EHLO reply) names, with its version when shown. */
export function identifySoftware(p: Pick<SmtpProbeFact, 'greeting' | 'ehlo' | 'ehloTls'>): SmtpProbeFact['software'] {
  const sources: ['greeting' | 'ehlo', string][] = [
    ...(p.greeting?.lines ?? []).map((l) => ['greeting', l] as ['greeting', string]),
    ...[...(p.ehlo ?? []), ...(p.ehloTls ?? [])].map((l) => ['ehlo', l] as ['ehlo', string]),
  ];
  for (const [from, line] of sources) {
    for (const product of loadTable().products) {
      const m = product.re.exec(line);
      if (!m) continue;
      const version = m.groups?.version;
      return { product: product.id, name: product.name, ...(version && versionParts(version) ? { version } : {}), from, text: line.slice(0, MAX_TEXT) };
    }
  }
  return undefined;
}

/** Identifies the software and adds what the table says about its version. A version that does not parse is no finding. */
export function judgeSoftware(fact: SmtpProbeFact): void {
  const software = identifySoftware(fact);
  if (!software) return;
  fact.software = software;
  const parts = software.version ? versionParts(software.version) : undefined;
  if (!parts) return;
  const matching = loadTable().advisories.filter(
    (a) => a.product === software.product && compareVersions(parts, versionParts(a.from)!) >= 0 && compareVersions(parts, versionParts(a.below)!) < 0,
  );
  const eol = matching.find((a) => a.kind === 'end-of-life');
  if (eol) fact.softwareEndOfLife = { release: eol.title, endOfLife: eol.endOfLife ?? '', source: eol.source, checked: eol.checked };
  const vulnerable: SoftwareAdvisoryFact[] = matching
    .filter((a) => a.kind === 'vulnerable')
    .map((a) => ({ title: a.title, ids: a.ids ?? [], fixedIn: a.fixedIn ?? a.below, source: a.source, checked: a.checked, ...(a.note ? { note: a.note } : {}) }));
  if (vulnerable.length) {
    fact.softwareVulnerabilities = vulnerable;
    fact.softwareFixedIn = vulnerable.map((v) => v.fixedIn).sort((a, b) => compareVersions(versionParts(b)!, versionParts(a)!))[0];
    fact.softwareAdvisories = vulnerable.map((v) => `${[...v.ids].join(', ') || v.title} (fixed in ${v.fixedIn}; ${v.source})`);
  }
}
