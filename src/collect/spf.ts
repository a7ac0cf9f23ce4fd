import type { DnsAnswer } from '../dns/types.js';
import type {
  SpfBudgetBound,
  SpfFacts,
  SpfInvalidNameFact,
  SpfMxLimitFact,
  SpfNodeFact,
  SpfNodeStatus,
  SpfSyntaxErrorFact,
  SpfTermFact,
  TxtRecordFact,
} from '../facts/index.js';
import { parseSpf, SPF_VERSION } from '../spf/parse.js';
import { presenceOf, type CollectContext } from './context.js';
import { evaluateSenders } from './spf-sender.js';
import { txtRecordsMatching } from './txt.js';

/** RFC 7208 §4.5: a record is SPF when it is exactly "v=spf1" or starts with "v=spf1 ". */
export const SPF_MARKER = SPF_VERSION;

/** Terms that cost a DNS lookup (§4.6.4). exp, ip4, ip6 and all do not. */
const COUNTED = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
/**
 * The work one domain's SPF tree may cost, whatever its records say (README "Limits"). Receivers stop
 * after 10 DNS-querying terms (RFC 7208 §4.6.4); the audit looks further to show the whole tree, within
 * these. Past a bound the rest is "not followed: over the budget", and still counted: the lookup total
 * (spf-too-many-lookups) and the record sizes (spf-record-too-long) cover every term of every record read.
 */
export const SPF_BUDGET = {
  /** Records fetched (the domain's and its include/redirect targets); diamonds can grow a tree fast. */
  records: 120,
  /** Terms kept in the facts, across the tree; the rest are parsed and counted but not listed or followed, and no further record is fetched. */
  terms: 2000,
  /** DNS-querying terms (include, redirect, a, mx, exists) whose lookups are made. */
  queryingTerms: 100,
  /** Void answers (NXDOMAIN, no data): past this, nothing more is asked. */
  voidLookups: 20,
  /** Failed lookups (timeout, SERVFAIL, …): past this, nothing more is asked. */
  failedLookups: 8,
  /** Syntax errors listed (one spf-syntax-error finding each); the rest are counted. */
  syntaxErrors: 100,
  /** Lookups of the tree outstanding at once. */
  inFlight: 8,
} as const;
/** §3.4: records should stay under 450 octets so the answer fits 512 octets of UDP. */
const MAX_RECORD_OCTETS = 450;
const MAX_UDP_OCTETS = 512;

const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');
const isVoid = (a: DnsAnswer) => a.status === 'nxdomain' || a.status === 'nodata';

/** Size of a DNS response carrying every TXT record of `name` (no EDNS, names compressed). */
export function txtAnswerOctets(name: string, records: readonly string[][]): number {
  const qname = Buffer.byteLength(name) + 2;
  let size = 12 + qname + 4;
  for (const chunks of records) {
    const rdata = chunks.reduce((n, c) => n + 1 + Buffer.byteLength(c), 0) || 1;
    size += 2 + 10 + rdata;
  }
  return size;
}

/** A node while the tree is being built: ids are given once it is complete (pre-order). */
interface Draft {
  fact: Omit<SpfNodeFact, 'id' | 'children' | 'parent'>;
  kids: { term: SpfTermFact; node: Draft }[];
}

interface Build {
  ctx: CollectContext;
  nodes: number;
  /** What the tree has spent of SPF_BUDGET, and which bounds it reached. */
  spent: { terms: number; queryingTerms: number; voidLookups: number; failedLookups: number };
  exceeded: Set<SpfBudgetBound>;
  /** DNS-querying terms not followed because of the budget. */
  notFollowed: number;
  syntaxErrorsNotListed: number;
  gate: BudgetGate;
  syntaxErrors: SpfSyntaxErrorFact[];
  invalidNames: SpfInvalidNameFact[];
  mxOverLimit: SpfMxLimitFact[];
}

function emptyFact(name: string, via: SpfNodeFact['via'], depth: number, status: SpfNodeStatus) {
  return { name, via, depth, status, terms: [], lookups: 0, voids: 0, totalLookups: 0, totalVoids: 0 };
}

const OVER_BUDGET = 'over the budget';

/**
 * Whether the tree has reached a bound of SPF_BUDGET that stops this lookup: the lookup, void and
 * failure bounds stop every lookup; the bounds of terms and records stop fetching more records.
 */
function outOfBudget(b: Build, fetchesRecord: boolean): boolean {
  if (b.spent.queryingTerms >= SPF_BUDGET.queryingTerms) b.exceeded.add('queryingTerms');
  if (b.spent.voidLookups >= SPF_BUDGET.voidLookups) b.exceeded.add('voidLookups');
  if (b.spent.failedLookups >= SPF_BUDGET.failedLookups) b.exceeded.add('failedLookups');
  const stopped = b.exceeded.has('queryingTerms') || b.exceeded.has('voidLookups') || b.exceeded.has('failedLookups');
  return stopped || (fetchesRecord && (b.exceeded.has('terms') || b.exceeded.has('records')));
}

/**
 * At most SPF_BUDGET.inFlight lookups at once, and never more outstanding than the void and failed
 * lookups left in the budget: however the answers turn out, the bounds are never passed.
 */
class BudgetGate {
  private inFlight = 0;
  private waiting: (() => void)[] = [];

  /** Waits for room for `weight` lookups; false when the budget is spent. */
  async acquire(b: Build, weight: number, fetchesRecord: boolean): Promise<boolean> {
    for (;;) {
      if (outOfBudget(b, fetchesRecord)) return false;
      const room = Math.min(
        SPF_BUDGET.inFlight,
        SPF_BUDGET.voidLookups - b.spent.voidLookups,
        SPF_BUDGET.failedLookups - b.spent.failedLookups,
        SPF_BUDGET.queryingTerms - b.spent.queryingTerms,
      );
      // Nothing outstanding: the budget is not spent, so this one may go (it can pass a bound by one term).
      if (this.inFlight === 0 || this.inFlight + weight <= room) {
        this.inFlight += weight;
        return true;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  release(weight: number): void {
    this.inFlight -= weight;
    // Every waiter checks again, in the order they came.
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/**
 * Makes a term's lookups within the budget, at most SPF_BUDGET.inFlight at once; the budget is read
 * when the term's turn comes, so a record of thousands of terms asks no more than the budget allows.
 * undefined: not followed (the term is marked).
 */
async function ask<A extends DnsAnswer | DnsAnswer[]>(
  b: Build,
  term: SpfTermFact,
  lookup: () => Promise<A>,
  weight = 1,
  fetchesRecord = false,
): Promise<A | undefined> {
  let answer: A | undefined;
  if (await b.gate.acquire(b, weight, fetchesRecord)) {
    try {
      b.spent.queryingTerms++;
      answer = await lookup();
      // Counted before the slot is given back, so the next term reads the count.
      const answers: DnsAnswer[] = Array.isArray(answer) ? answer : [answer];
      const failed = answers.filter((a) => a.status === 'error').length;
      if (failed) b.spent.failedLookups += failed;
      else if (answers.every(isVoid)) b.spent.voidLookups++;
    } finally {
      b.gate.release(weight);
    }
  }
  if (answer === undefined) {
    term.notFollowed = true;
    b.notFollowed++;
  }
  return answer;
}

/** Looks up the record of an include/redirect target and expands it. */
async function follow(b: Build, parent: Draft, term: SpfTermFact, path: string[]): Promise<Draft> {
  const via = term.kind === 'redirect' ? 'redirect' : 'include';
  const depth = parent.fact.depth + 1;
  const link = { parentName: parent.fact.name, viaTerm: term.text } as const;
  const at = (status: SpfNodeStatus, name: string): Draft => {
    const fact: Draft['fact'] = { ...emptyFact(name, via, depth, status), ...link };
    if (parent.fact.origin) fact.origin = parent.fact.origin;
    return { fact, kids: [] };
  };
  if (term.macro) {
    const d = at('not-followed', term.target!);
    d.fact.reason = 'the target uses macros: it depends on the sender';
    return d;
  }
  const name = normal(term.target!);
  if (term.invalidName) {
    // No DNS name: nothing to ask. A name that does not exist, or permerror: either way include and redirect fail (§5.2).
    const d = at('none', name);
    d.fact.reason = term.invalidName;
    return d;
  }
  if (path.includes(name)) {
    const d = at('loop', name);
    d.fact.chain = [...path, name];
    d.fact.chainText = d.fact.chain.join(' → ');
    return d;
  }
  let answer: DnsAnswer<'TXT'> | undefined;
  if (b.nodes >= SPF_BUDGET.records) {
    b.exceeded.add('records');
    term.notFollowed = true;
    b.notFollowed++;
  } else {
    b.nodes++;
    answer = await ask(b, term, () => b.ctx.dns.resolve(name, 'TXT'), 1, true);
    if (!answer) b.nodes--;
  }
  if (!answer) {
    const d = at('not-followed', name);
    d.fact.reason = OVER_BUDGET;
    return d;
  }
  if (isVoid(answer)) term.void = true;
  const node = await nodeFor(b, name, via, depth, answer, path);
  Object.assign(node.fact, link);
  if (!node.fact.origin && parent.fact.origin) node.fact.origin = parent.fact.origin;
  return node;
}

/** The node for `name` from its TXT answer: its record parsed, its terms costed, its targets followed. */
async function nodeFor(b: Build, name: string, via: SpfNodeFact['via'], depth: number, answer: DnsAnswer<'TXT'>, path: string[]): Promise<Draft> {
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, SPF_MARKER) : [];
  const status: SpfNodeStatus =
    presence === 'undetermined' ? 'undetermined' : records.length === 0 ? 'none' : records.length > 1 ? 'multiple' : 'found';
  const draft: Draft = { fact: emptyFact(name, via, depth, status), kids: [] };
  if (status !== 'found') return draft;
  const record = records[0]!;
  const fact = draft.fact;
  fact.record = record.text;
  fact.chunks = record.chunks;
  if (record.origin) fact.origin = record.origin;
  fact.recordOctets = Buffer.byteLength(record.text);
  fact.answerOctets = txtAnswerOctets(name, answer.records);
  if (fact.recordOctets > MAX_RECORD_OCTETS || fact.answerOctets > MAX_UDP_OCTETS) fact.tooLong = true;
  await expandRecord(b, draft, record, [...path, name]);
  return draft;
}

async function expandRecord(b: Build, draft: Draft, record: TxtRecordFact, path: string[]): Promise<void> {
  const fact = draft.fact;
  const parsed = parseSpf(record.text);
  const hasAll = parsed.terms.some((t) => t.kind === 'all');
  let afterAll = false;
  // Every term is parsed and counted (all, redirect, lookups, errors); past the terms budget the
  // rest of a record is not listed nor followed.
  const all = parsed.terms.map((t) => {
    const term: SpfTermFact = { ...t, lookups: 0 };
    if (t.error) {
      addSyntaxError(b, fact.name, t.text, t.error, record);
      return term;
    }
    if (t.invalidName && b.invalidNames.length < SPF_BUDGET.syntaxErrors) {
      const e: SpfInvalidNameFact = { name: fact.name, term: t.text, reason: t.invalidName };
      if (record.origin) e.origin = record.origin;
      b.invalidNames.push(e);
    }
    if (afterAll && t.kind !== 'exp' && t.kind !== 'modifier') term.unreachable = true;
    if (t.kind === 'redirect' && hasAll) {
      term.unreachable = true;
      fact.redirectIgnored = true;
    }
    if (t.kind === 'all' && !afterAll) {
      afterAll = true;
      fact.allQualifier = t.qualifier!;
      fact.allTerm = t.text;
    }
    if (t.kind === 'redirect') fact.redirect = t.target!;
    if (t.kind === 'ptr') (fact.ptrTerms ??= []).push(t.text);
    if (COUNTED.has(t.kind) && !term.unreachable) term.lookups = 1;
    return term;
  });
  const keep = Math.max(0, SPF_BUDGET.terms - b.spent.terms);
  b.spent.terms += Math.min(keep, all.length);
  fact.terms = all.slice(0, keep);
  const omitted = all.slice(keep);
  if (omitted.length) {
    b.exceeded.add('terms');
    fact.omittedTerms = omitted.length;
    fact.omittedLookups = omitted.filter((t) => t.lookups > 0).length;
  }
  const live = fact.terms.filter((t) => t.lookups > 0);
  await Promise.all(live.map((t) => costTerm(b, draft, t, record, path)));
  // Children in record order, whatever order their lookups finished in.
  draft.kids.sort((x, y) => fact.terms.indexOf(x.term) - fact.terms.indexOf(y.term));
  fact.lookups = live.length + (fact.omittedLookups ?? 0);
  fact.voids = fact.terms.filter((t) => t.void).length;
}

function addSyntaxError(b: Build, name: string, term: string, reason: string, record: TxtRecordFact): void {
  if (b.syntaxErrors.length >= SPF_BUDGET.syntaxErrors) {
    b.syntaxErrorsNotListed++;
    return;
  }
  const e: SpfSyntaxErrorFact = { name, term, reason };
  if (record.origin) e.origin = record.origin;
  b.syntaxErrors.push(e);
}

/** Makes the lookup a receiver would make for a term, to learn whether it is void (§4.6.4). */
async function costTerm(b: Build, draft: Draft, term: SpfTermFact, record: TxtRecordFact, path: string[]): Promise<void> {
  const dns = b.ctx.dns;
  if (term.kind === 'include' || term.kind === 'redirect') {
    draft.kids.push({ term, node: await follow(b, draft, term, path) });
    return;
  }
  // ptr depends on the client address; macro targets on the sender: nothing to ask without one.
  // A name with an empty or over-long label cannot be asked at all.
  if (term.kind === 'ptr' || term.macro || term.invalidName) return;
  const target = normal(term.target ?? draft.fact.name);
  if (term.kind === 'a') {
    const both = await ask(b, term, () => Promise.all([dns.resolve(target, 'A'), dns.resolve(target, 'AAAA')]), 2);
    // Void for every client only when neither family has an address.
    if (both && isVoid(both[0]) && isVoid(both[1])) term.void = true;
  } else if (term.kind === 'exists') {
    const a = await ask(b, term, () => dns.resolve(target, 'A'));
    if (a && isVoid(a)) term.void = true;
  } else if (term.kind === 'mx') {
    const mx = await ask(b, term, () => dns.resolve(target, 'MX'));
    if (!mx) return;
    if (isVoid(mx)) term.void = true;
    if (mx.status === 'ok') {
      term.mxCount = mx.records.length;
      if (term.mxCount > 10) {
        const f: SpfMxLimitFact = { name: draft.fact.name, term: term.text, target, mxCount: term.mxCount };
        if (record.origin) f.origin = record.origin;
        b.mxOverLimit.push(f);
      }
    }
  }
}

/** Gives ids in pre-order and sums the counts of each subtree. */
function flatten(root: Draft): SpfNodeFact[] {
  const out: SpfNodeFact[] = [];
  const visit = (d: Draft, parent?: number): SpfNodeFact => {
    const node = { id: out.length, ...d.fact, children: [] } as SpfNodeFact;
    if (parent !== undefined) node.parent = parent;
    out.push(node);
    node.totalLookups = node.lookups;
    node.totalVoids = node.voids;
    for (const kid of d.kids) {
      const child = visit(kid.node, node.id);
      kid.term.child = child.id;
      node.children.push(child.id);
      node.totalLookups += child.totalLookups;
      node.totalVoids += child.totalVoids;
    }
    return node;
  };
  visit(root);
  return out;
}

/** The `all` that ends evaluation: the record's own, else that of its redirect target, recursively. */
function effectiveAll(tree: SpfNodeFact[], node: SpfNodeFact): SpfNodeFact['allQualifier'] {
  if (node.allQualifier) return node.allQualifier;
  const redirect = node.terms.find((t) => t.kind === 'redirect' && t.child !== undefined);
  const next = redirect ? tree[redirect.child!] : undefined;
  return next?.status === 'found' ? effectiveAll(tree, next) : undefined;
}

const BOUND_WORDS: Record<SpfBudgetBound, string> = {
  records: 'records',
  terms: 'terms',
  queryingTerms: 'DNS-querying terms',
  voidLookups: 'void lookups',
  failedLookups: 'failed lookups',
};

/** The SPF record of the domain, its whole include/redirect tree with lookup counts, and type-99 records. */
export async function collectSpf(ctx: CollectContext): Promise<SpfFacts> {
  const answer = await ctx.dns.resolve(ctx.domain, 'TXT');
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, SPF_MARKER) : [];
  const status = presence === 'undetermined' ? 'undetermined' : records.length ? 'found' : 'absent';
  const facts: SpfFacts = { status, records, count: records.length };
  if (records[0]?.origin) facts.origin = records[0].origin;
  const typeSpf = presence === 'undetermined' ? undefined : ctx.dns.resolve(ctx.domain, 'SPF');
  if (records.length === 1) {
    const b: Build = {
      ctx,
      nodes: 1,
      syntaxErrors: [],
      invalidNames: [],
      mxOverLimit: [],
      spent: { terms: 0, queryingTerms: 0, voidLookups: 0, failedLookups: 0 },
      exceeded: new Set(),
      notFollowed: 0,
      syntaxErrorsNotListed: 0,
      gate: new BudgetGate(),
    };
    const root = await nodeFor(b, ctx.domain, 'root', 0, answer, []);
    const tree = flatten(root);
    facts.tree = tree;
    facts.lookupCount = tree[0]!.totalLookups;
    facts.voidLookupCount = tree[0]!.totalVoids;
    const all = effectiveAll(tree, tree[0]!);
    if (all) facts.allQualifier = all;
    if (tree[0]!.redirect) facts.redirect = tree[0]!.redirect;
    facts.syntaxErrors = b.syntaxErrors;
    if (b.exceeded.size) {
      const exceeded = [...b.exceeded];
      facts.budget = {
        exceeded,
        exceededText: exceeded.map((k) => `${SPF_BUDGET[k]} ${BOUND_WORDS[k]}`).join(', '),
        notFollowed: b.notFollowed,
        omittedTerms: tree.reduce((n, node) => n + (node.omittedTerms ?? 0), 0),
        failedLookups: b.spent.failedLookups,
        voidLookups: b.spent.voidLookups,
        syntaxErrorsNotListed: b.syntaxErrorsNotListed,
      };
      if (records[0]!.origin) facts.budget.origin = records[0]!.origin;
    }
    if (b.invalidNames.length) facts.invalidNames = b.invalidNames;
    facts.mxOverLimit = b.mxOverLimit;
    if (ctx.senderIps?.length) facts.senderResults = await evaluateSenders(ctx, tree, b.mxOverLimit.length);
  } else if (ctx.senderIps?.length) {
    // No tree to show, but a receiver still reaches a result: none, permerror or temperror (§4.4, §4.5).
    facts.senderResults = await evaluateSenders(ctx, undefined);
  }
  const spf = await typeSpf;
  if (spf?.status === 'ok') {
    const texts = spf.records.map((chunks) => chunks.join(''));
    facts.deprecatedType = { records: texts, count: texts.length };
    const origin = spf.origins?.find((o) => o);
    if (origin) facts.deprecatedType.origin = origin;
  }
  return facts;
}

/** For a domain that does not exist: what a receiver decides for each `--sender-ip` (none, §4.3), nothing else. */
export async function senderResultsOnly(ctx: CollectContext): Promise<SpfFacts> {
  return { status: 'absent', domainMissing: true, records: [], count: 0, senderResults: await evaluateSenders(ctx, undefined) };
}
