import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { reverseName } from '../dns/reverse.js';
import type { RRType } from '../dns/types.js';
import type { SpfIdentity, SpfNodeFact, SpfResult, SpfSenderResultFact, SpfTermFact } from '../facts/index.js';
import type { CollectContext } from './context.js';

/**
 * `--sender-ip`: what a receiver decides for mail from an address, with mailauth 7's SPF evaluator
 * (strict RFC 7208 mode) asking our DnsSource, next to our own evaluation of the collected tree,
 * which names the deciding term and shows where the two disagree on a limit.
 */

interface MailauthSpfResult {
  status: { result: string; comment?: string };
  lookups?: { limit: number; count: number; void: number };
}
type MailauthResolver = (name: string, type: string) => Promise<unknown[]>;
type MailauthSpf = (opts: {
  sender: string;
  ip: string;
  helo: string;
  mta: string;
  resolver: MailauthResolver;
  strict: boolean;
  maxElapsedTime?: number;
}) => Promise<MailauthSpfResult>;

type MacroExpander = (input: string, values: Record<string, unknown>) => string;

/**
 * mailauth (and what it pulls in) is loaded only when a sender IP is given: it slows every start-up
 * otherwise. Literal `import()`s, so that the Action's bundler includes them.
 */
let mailauth: Promise<{ spf: MailauthSpf; expandMacro: MacroExpander }> | undefined;
function loadMailauth() {
  mailauth ??= Promise.all([import('mailauth/lib/spf/index.js'), import('mailauth/lib/spf/macro.js')]).then(([spf, macro]) => ({
    spf: (spf.default as { spf: MailauthSpf }).spf,
    // mailauth's macro expander (RFC 7208 §7), so both evaluations expand alike.
    expandMacro: macro.default as MacroExpander,
  }));
  return mailauth;
}

const RESOLVABLE = new Set<RRType>(['A', 'AAAA', 'MX', 'TXT', 'PTR']);
const RESULTS = new Set<SpfResult>(['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror']);

const dnsError = (code: string, name: string) => Object.assign(new Error(`${code} ${name}`), { code });

/** Our DnsSource as a node:dns-style resolver: arrays like dns.promises.resolve, errors with ENOTFOUND/ENODATA/… codes. */
export function mailauthResolver(ctx: CollectContext): MailauthResolver {
  return async (name, rrtype) => {
    const type = rrtype.toUpperCase() as RRType;
    if (!RESOLVABLE.has(type)) throw dnsError('ENOTIMP', name);
    const answer = await ctx.dns.resolve(name.replace(/\.$/, ''), type);
    if (answer.status === 'nxdomain') throw dnsError('ENOTFOUND', name);
    if (answer.status === 'nodata') throw dnsError('ENODATA', name);
    if (answer.status === 'error') throw dnsError(answer.error ?? 'ESERVFAIL', name);
    if (type === 'MX') {
      return (answer as { records: { preference: number; exchange: string }[] }).records.map((m) => ({ priority: m.preference, exchange: m.exchange }));
    }
    return answer.records.map((r) => (Array.isArray(r) ? [...r] : r));
  };
}

/**
 * Questions our own evaluation of the tree may ask for one address and identity (most are answered
 * from the run's cache: the tree asked them); mx terms ask for each exchange's addresses (README "Limits").
 */
export const SENDER_TREE_QUESTIONS = 250;

class QuestionBudgetSpent extends Error {}

const QUALIFIER_RESULT: Record<string, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

interface Outcome {
  result: SpfResult;
  name?: string;
  term?: string;
}

/** Our evaluation of the tree for one client (RFC 7208 §4.6, §5), or undefined where it needs what we did not collect (ptr, macros). */
class TreeEvaluator {
  constructor(
    private readonly ctx: CollectContext,
    private readonly tree: SpfNodeFact[],
    private readonly ip: string,
    private readonly sender: string,
    private readonly helo: string,
  ) {}

  /** A macro that expanded to no DNS name (treated as a name that does not exist; receivers differ). */
  invalidExpansion?: string;
  private asked = 0;

  /** Our evaluation of the tree for this client; undefined where it cannot tell, or past its budget of questions. */
  async evaluate(): Promise<Outcome | undefined> {
    try {
      return await this.node(this.tree[0]!);
    } catch (err) {
      if (err instanceof QuestionBudgetSpent) return undefined;
      throw err;
    }
  }

  private resolve<T extends RRType>(name: string, type: T) {
    if (++this.asked > SENDER_TREE_QUESTIONS) throw new QuestionBudgetSpent();
    return this.ctx.dns.resolve(name, type);
  }

  private get family(): 'ipv4' | 'ipv6' {
    return isIPv4(this.ip) ? 'ipv4' : 'ipv6';
  }

  private inNetwork(address: string, prefix: number | undefined, family: 'ipv4' | 'ipv6'): boolean {
    if (family !== this.family) return false;
    const list = new BlockList();
    list.addSubnet(address, prefix ?? (family === 'ipv4' ? 32 : 128), family);
    return list.check(this.ip, family);
  }

  private async addressesMatch(name: string, term: SpfTermFact): Promise<boolean | 'error'> {
    const answer = await this.resolve(name, this.family === 'ipv4' ? 'A' : 'AAAA');
    if (answer.status === 'error') return 'error';
    const prefix = this.family === 'ipv4' ? term.cidr4 : term.cidr6;
    return answer.records.some((a) => this.inNetwork(a, prefix, this.family));
  }

  /** A record that could not be evaluated is blamed on the term that leads to it. */
  private via(node: SpfNodeFact): { name: string; term?: string } {
    return node.viaTerm ? { name: node.parentName ?? node.name, term: node.viaTerm } : { name: node.name };
  }

  async node(node: SpfNodeFact): Promise<Outcome | undefined> {
    switch (node.status) {
      case 'none':
        return { result: 'none', ...this.via(node) };
      case 'undetermined':
        return { result: 'temperror', ...this.via(node) };
      case 'multiple':
      case 'loop':
        return { result: 'permerror', ...this.via(node) };
      case 'not-followed':
        return undefined;
    }
    const bad = node.terms.find((t) => t.error);
    if (bad) return { result: 'permerror', name: node.name, term: bad.text };
    for (const term of node.terms) {
      if (term.kind === 'redirect' || term.kind === 'exp' || term.kind === 'modifier') continue;
      const matched = await this.term(node, term);
      if (matched === undefined) return undefined;
      if (typeof matched === 'object') return matched;
      if (matched) return { result: QUALIFIER_RESULT[term.qualifier ?? '+']!, name: node.name, term: term.text };
    }
    // Terms past the budget of terms are not listed: what they decide is unknown.
    if (node.omittedTerms) return undefined;
    const redirect = node.terms.find((t) => t.kind === 'redirect' && !t.unreachable);
    if (redirect) {
      const target = this.tree[redirect.child!];
      const sub = target ? await this.node(target) : undefined;
      if (sub?.result === 'none') return { ...sub, result: 'permerror' };
      return sub;
    }
    return { result: 'neutral', name: node.name };
  }

  /** true/false: matched or not; an Outcome: evaluation ends with it; undefined: cannot tell. */
  private async term(node: SpfNodeFact, term: SpfTermFact): Promise<boolean | Outcome | undefined> {
    // Past the audit's budget the tree was not followed: nothing more is asked for it.
    if (term.notFollowed) return undefined;
    let spec = term.target ?? node.name;
    if (term.macro) {
      // %{p} needs the client's validated PTR names; an include/redirect target with macros was not collected.
      if (/%\{p/i.test(spec) || term.kind === 'include') return undefined;
      try {
        spec = (await loadMailauth()).expandMacro(spec, { sender: this.sender, ip: this.ip, helo: this.helo, domain: node.name });
      } catch {
        return { result: 'permerror', name: node.name, term: term.text };
      }
    }
    const target = spec.toLowerCase().replace(/\.$/, '');
    // No DNS name: treated as a name that does not exist, as mailauth does (the verdict note says receivers differ).
    if (term.invalidName && ['a', 'mx', 'exists', 'ptr'].includes(term.kind)) return false;
    const labels = target.split('.');
    if (term.macro && labels.some((l) => l === '' || Buffer.byteLength(l) > 63)) {
      this.invalidExpansion ??= `${term.text} at ${node.name} expands to "${target}", which has an empty or over-long label`;
      return false;
    }
    switch (term.kind) {
      case 'all':
        return true;
      case 'ip4':
        return this.inNetwork(term.address!, term.cidr4, 'ipv4');
      case 'ip6':
        return this.inNetwork(term.address!, term.cidr6, 'ipv6');
      case 'a': {
        const m = await this.addressesMatch(target, term);
        return m === 'error' ? { result: 'temperror', name: node.name, term: term.text } : m;
      }
      case 'mx': {
        const mx = await this.resolve(target, 'MX');
        if (mx.status === 'error') return { result: 'temperror', name: node.name, term: term.text };
        if (mx.records.length > 10) return { result: 'permerror', name: node.name, term: term.text };
        for (const host of mx.records) {
          if (!host.exchange) continue;
          const m = await this.addressesMatch(host.exchange, term);
          if (m === 'error') return { result: 'temperror', name: node.name, term: term.text };
          if (m) return true;
        }
        return false;
      }
      case 'exists': {
        const a = await this.resolve(target, 'A');
        if (a.status === 'error') return { result: 'temperror', name: node.name, term: term.text };
        return a.records.length > 0;
      }
      case 'include': {
        const child = this.tree[term.child!];
        const sub = child ? await this.node(child) : undefined;
        if (!sub) return undefined;
        if (sub.result === 'pass') return { result: QUALIFIER_RESULT[term.qualifier ?? '+']!, name: sub.name, term: sub.term };
        if (sub.result === 'fail' || sub.result === 'softfail' || sub.result === 'neutral') return false;
        if (sub.result === 'none') return { ...sub, result: 'permerror' };
        return sub;
      }
      case 'ptr':
        return this.ptrMatches(target);
      default:
        return undefined;
    }
  }

  /** RFC 7208 §5.5: the client's PTR names (at most 10) that resolve back to it, and end in `target`. */
  private async ptrMatches(target: string): Promise<boolean> {
    const ptr = await this.resolve(reverseName(this.ip), 'PTR');
    // "If a DNS error occurs while doing the PTR RR lookup, then this mechanism fails to match."
    for (const name of ptr.records.slice(0, 10)) {
      if (name !== target && !name.endsWith(`.${target}`)) continue;
      const back = await this.resolve(name, this.family === 'ipv4' ? 'A' : 'AAAA');
      if (back.records.some((a) => this.inNetwork(a, undefined, this.family))) return true;
    }
    return false;
  }
}

/** Where mailauth's evaluation and the tree disagree on a limit: which says what. */
function limitNote(tree: SpfNodeFact[], mxOverLimit: number, ma: MailauthSpfResult, ours?: Outcome): string | undefined {
  const treeLookups = tree[0]!.totalLookups;
  const treeVoids = tree[0]!.totalVoids;
  // Below a record not followed (macros, the budget) or a failed lookup the totals are lower bounds.
  const atLeast = tree.some((n) => n.status === 'not-followed' || n.status === 'undetermined' || n.omittedTerms || n.terms.some((t) => t.notFollowed))
    ? 'at least '
    : '';
  const count = ma.lookups?.count ?? 0;
  const comment = ma.status.comment ?? '';
  if (/Too many DNS requests/i.test(comment)) {
    if (treeLookups > 10) return `mailauth stopped counting at ${count} lookups (the limit is 10); the whole tree needs ${atLeast}${treeLookups}`;
    if (tree.some((n) => n.status === 'loop')) {
      return `mailauth follows the include loop until it passes 10 lookups; the tree stops at the loop after ${treeLookups}`;
    }
    if (mxOverLimit > 0) return `mailauth reports the limit of 10 MX records of an mx term as too many DNS requests; the tree counts ${treeLookups} lookup${treeLookups === 1 ? "" : "s"}`;
    return `mailauth counted more than 10 lookups where the tree counts ${treeLookups}`;
  }
  if (/Too many void DNS results/i.test(comment)) {
    return treeVoids > 2
      ? `mailauth stopped at its ${ma.lookups?.void ?? 3}rd void lookup (the limit is 2); the whole tree makes ${atLeast}${treeVoids}`
      : `mailauth counted more than 2 void lookups for this address where the tree counts ${treeVoids} (an a/mx target without an address of this family is void for it)`;
  }
  if (ma.status.result === 'permerror') return undefined;
  const where = ours?.term ? ` at ${ours.term}` : '';
  if (treeLookups > 10) {
    return `mailauth decided${where} after ${count} lookups, before reaching the limit; the whole tree needs ${atLeast}${treeLookups}: mail from addresses matched later (or not at all) gets permerror`;
  }
  if (treeVoids > 2) {
    return `mailauth decided${where} after ${ma.lookups?.void ?? 0} void lookups; the whole tree makes ${atLeast}${treeVoids}: mail from addresses matched later gets permerror`;
  }
  if (mxOverLimit > 0 && ours?.result === 'permerror') {
    return 'mailauth does not apply the limit of 10 MX records per mx term (RFC 7208 §4.6.4); the tree gives permerror';
  }
  return undefined;
}

/**
 * Where RFC 7208 leaves receivers a choice that the result depends on, in words, so a result is
 * never shown next to a finding that suggests another without the reason.
 */
function verdictNote(tree: SpfNodeFact[], result: SpfResult, ours: Outcome | undefined, invalidExpansion: string | undefined): string | undefined {
  if (result === 'permerror' || result === 'temperror') return undefined;
  const choice = 'RFC 7208 leaves it to the receiver: mailauth, like this result, treats it as a name that does not exist (the term does not match); other receivers return permerror';
  if (invalidExpansion) return `${invalidExpansion}; ${choice}`;
  for (const node of tree) {
    const term = node.terms.find((t) => t.invalidName && !t.unreachable);
    if (term) return `${term.text} at ${node.name}: ${term.invalidName}; ${choice}`;
  }
  // A permerror below the domain's own record counts only where evaluation reaches it (§5.2, §6.1).
  const broken = tree.find((n) => n.id > 0 && (n.terms.some((t) => t.error) || n.status === 'none' || n.status === 'multiple' || n.status === 'loop'));
  if (broken) {
    const what = broken.terms.some((t) => t.error)
      ? `the syntax error in the record at ${broken.name}`
      : `${broken.viaTerm ?? broken.name} (${broken.status === 'none' ? 'no SPF record' : broken.status === 'multiple' ? 'several SPF records' : 'a loop'})`;
    const end = ours?.term ? ` at ${ours.term}${ours.name && ours.name !== tree[0]!.name ? ` (${ours.name})` : ''}` : '';
    return `${what} makes receivers return permerror only when evaluation reaches it; for this address it ends before${end}`;
  }
  return undefined;
}

/** `--mail-from` as given: undefined = postmaster@<domain>; '' or '<>' = the null reverse-path. */
export function isNullSender(mailFrom: string | undefined): boolean {
  return mailFrom !== undefined && (mailFrom === '' || mailFrom === '<>');
}

/** One identity to evaluate: check_host(<ip>, domain, sender) with `helo` for %{h}. */
interface IdentityCheck {
  identity: SpfIdentity;
  domain: string;
  /** What mailauth is given: '' for the null reverse-path and for the HELO identity (it then uses postmaster@<helo>). */
  mailauthSender: string;
  sender: string;
  helo: string;
  nullSender: boolean;
}

/** The domain part of an address (after the last "@"), lower-case, without a trailing dot. */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(at + 1)).toLowerCase().replace(/\.$/, '');
}

/**
 * The identities checked for each address (RFC 7208 §2.3, §2.4): MAIL FROM always (postmaster@<domain>
 * unless `--mail-from`; postmaster@<HELO> for the null reverse-path), and HELO when `--helo` is given.
 */
export function identityChecks(ctx: CollectContext): IdentityCheck[] {
  const helo = ctx.helo ?? ctx.domain;
  const checks: IdentityCheck[] = [];
  if (isNullSender(ctx.mailFrom)) {
    checks.push({ identity: 'mailfrom', domain: domainOf(helo), mailauthSender: '', sender: `postmaster@${helo}`, helo, nullSender: true });
  } else {
    let sender = ctx.mailFrom ?? `postmaster@${ctx.domain}`;
    // A local-part alone is at the audited domain (one option for every domain of a run).
    if (!sender.includes('@')) sender = `${sender}@${ctx.domain}`;
    // §4.3: a MAIL FROM without a local-part uses "postmaster".
    if (sender.startsWith('@')) sender = `postmaster${sender}`;
    checks.push({ identity: 'mailfrom', domain: domainOf(sender), mailauthSender: sender, sender, helo, nullSender: false });
  }
  if (ctx.helo !== undefined) {
    checks.push({ identity: 'helo', domain: domainOf(helo), mailauthSender: '', sender: `postmaster@${helo}`, helo, nullSender: false });
  }
  return checks;
}

/**
 * Evaluates each `--sender-ip` for each identity with mailauth (the result), and with our tree (the
 * deciding term) where the identity's domain is the audited domain and its tree was collected.
 * Runs whatever the records: no record is `none`, two are `permerror`, a failed TXT lookup `temperror`.
 */
export async function evaluateSenders(ctx: CollectContext, tree: SpfNodeFact[] | undefined, mxOverLimit = 0): Promise<SpfSenderResultFact[]> {
  const resolver = mailauthResolver(ctx);
  const checks = identityChecks(ctx);
  const jobs = (ctx.senderIps ?? []).flatMap((raw) => checks.map((check) => ({ raw, check })));
  return Promise.all(
    jobs.map(async ({ raw, check }) => {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
      const ip = mapped ? mapped[1]! : raw;
      const ownTree = tree && check.domain === ctx.domain ? tree : undefined;
      const evaluator = ownTree && (isIPv4(ip) || isIPv6(ip)) ? new TreeEvaluator(ctx, ownTree, ip, check.sender, check.helo) : undefined;
      const [ma, ours] = await Promise.all([
        (await loadMailauth()).spf({ sender: check.mailauthSender, ip, helo: check.helo, mta: 'mailaudit', resolver, strict: true, maxElapsedTime: 60_000 }),
        evaluator ? evaluator.evaluate() : Promise.resolve(undefined),
      ]);
      const result = (RESULTS.has(ma.status.result as SpfResult) ? ma.status.result : 'temperror') as SpfResult;
      const fact: SpfSenderResultFact = {
        ip: raw,
        identity: check.identity,
        domain: check.domain,
        sender: check.sender,
        helo: check.helo,
        result,
        lookups: ma.lookups?.count ?? 0,
        voidLookups: ma.lookups?.void ?? 0,
      };
      if (check.nullSender) fact.nullSender = true;
      if (ma.status.comment) fact.comment = ma.status.comment;
      if (ours) {
        if (ours.term && ours.name) fact.decidedBy = { name: ours.name, term: ours.term };
        fact.treeResult = ours.result;
      }
      const note = ownTree ? limitNote(ownTree, mxOverLimit, ma, ours) : undefined;
      if (note) fact.limitNote = note;
      const verdict = ownTree ? verdictNote(ownTree, result, ours, evaluator?.invalidExpansion) : undefined;
      if (verdict) fact.verdictNote = verdict;
      return fact;
    }),
  );
}
