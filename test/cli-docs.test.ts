/**
 * Every command line README.md and `mailaudit --help` show runs here, against a DNS server on
 * loopback instead of the internet, and does what the text says. A new command line in either
 * needs an expectation below: the first test fails until it has one.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { HELP_EXAMPLES, OPTIONS } from '../src/cli.js';
import { parseZone } from '../src/dns/zonefile.js';
import { builtinRules } from '../src/engine/load.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { fixtureRecords } from './helpers/fixtures.js';

const README = readFileSync('README.md', 'utf8');

/** example.com and example.org, as the documented commands use them. */
const EXAMPLE_ZONES = `
$ORIGIN example.com.
@        IN MX  10 mx
mx       IN A   127.0.0.1
@        IN TXT "v=spf1 ip4:209.85.128.0/17 -all"
_dmarc   IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
s2024._domainkey IN TXT "v=DKIM1; k=ed25519; p=DrWjtmk5YSrSfMsShGkJH+jrq9zsmokWV6KxaE2WrsA="
$ORIGIN example.org.
@        IN MX  10 mx
mx       IN A   127.0.0.1
_dmarc   IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"
`;

/** A zone file as a user keeps it: no $ORIGIN, no SOA; its origin is the domain given with it. */
const USER_ZONE = '@ IN MX 10 mx\nmx IN A 127.0.0.1\n@ IN TXT "v=spf1 mx -all"\n';

let dns: TestDnsServer;
test.before(async () => {
  dns = await startDnsServer({ records: [...fixtureRecords(), ...parseZone(EXAMPLE_ZONES, { file: 'example-zones' }).records] });
});
test.after.always(async () => {
  await dns?.close();
});

/** A working directory as a user has it: the repository's fixtures (for the set-up lines), a list, a zone. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-docs-'));
  symlinkSync(join(process.cwd(), 'fixtures'), join(dir, 'fixtures'));
  writeFileSync(join(dir, 'domains.txt'), 'example.com\nexample.org\n');
  writeFileSync(join(dir, 'db.example'), USER_ZONE);
  writeFileSync(join(dir, 'db.example.com'), USER_ZONE);
  return dir;
}

interface Shell {
  args: string[];
  stdinFile?: string;
  stdoutFile?: string;
}

/** `[cat FILE |] [npx] mailaudit ARGS [> FILE] [# comment]` as argv, stdin and stdout. */
function parseCommand(line: string): Shell {
  let text = line.replace(/\s+#.*$/, '').trim();
  const shell: Shell = { args: [] };
  const cat = /^cat (\S+) \| /.exec(text);
  if (cat) {
    shell.stdinFile = cat[1];
    text = text.slice(cat[0].length);
  }
  const out = / > (\S+)$/.exec(text);
  if (out) {
    shell.stdoutFile = out[1];
    text = text.slice(0, out.index);
  }
  shell.args = text.replace(/^(npx )?mailaudit\s*/, '').split(/\s+/).filter(Boolean);
  return shell;
}

/** Command lines of README.md: in code blocks, and inline code that is a whole command without placeholders. */
function readmeCommands(): string[] {
  const commands: string[] = [];
  for (const block of README.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      for (const part of line.split(/\s*(?:&&|;)\s*/)) {
        const command = part.trim();
        // Synopsis lines (`mailaudit [domain..] [options]   what it does`) are not command lines.
        // Nor is what mailaudit prints (`mailaudit: stopped by SIGINT …`).
        if (/^(cat \S+ \| )?(npx )?mailaudit\b(?!:)/.test(command) && !/\[|\s{3}/.test(command)) commands.push(command);
      }
    }
  }
  for (const inline of README.matchAll(/`((?:npx )?mailaudit [^`\n]+)`/g)) {
    const command = inline[1]!;
    if (!/\b[A-Z][A-Z-]+\b|\[|…|</.test(command)) commands.push(command);
  }
  return [...new Set(commands)];
}

const helpCommands = () => HELP_EXAMPLES.map(([command]) => command.replace(/^\$0/, 'mailaudit'));

/** The test server instead of any resolver named, and short bounds: the lines as documented otherwise. */
function againstTestDns(args: string[]): string[] {
  const out = args.map((a, i) => (args[i - 1] === '--dns-server' ? dns.address : a.startsWith('--dns-server=') ? `--dns-server=${dns.address}` : a));
  const local = out.some((a, i) => out[i - 1] === '--dns-server' || a.startsWith('--dns-server='));
  return [...out, ...(local ? [] : ['--dns-server', dns.address]), '--timeout', '5000', '--tries', '1', '--smtp-timeout', '2000'];
}

type Check = (t: ExecutionContext, r: CliResult, dir: string) => void;

const audited = (r: CliResult) => r.code === 0 || r.code === 1;
const ndjsonDomains = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).domain).sort();

/** What each documented command line must do. */
const EXPECT: Record<string, Check> = {
  'npx mailaudit example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^example\.com$/m);
    t.regex(r.stdout, /^ {2}MX {6}10 mx\.example\.com$/m);
    t.regex(r.stdout, /^ {2}SMTP {4}mx\.example\.com 127\.0\.0\.1:25 /m, 'the MX host is probed');
  },
  'mailaudit example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^ {2}SPF {5}v=spf1 ip4:209\.85\.128\.0\/17 -all$/m);
  },
  'npx mailaudit --no-smtp --zone fixtures/clean/zone.db': (t, r) => {
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^clean\.test$/m);
    t.notRegex(r.stdout, /^ {2}SMTP/m, '--no-smtp');
  },
  'npx mailaudit --no-smtp --zone fixtures/mx-cname/zone.db': (t, r) => {
    t.regex(r.stdout, /mx-target-cname/);
    t.regex(r.stdout, /zone\.db:5/);
  },
  'mailaudit example.com --sender-ip 209.85.128.5 --sender-ip 2001:db8::1': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /mail from 209\.85\.128\.5: pass by ip4:209\.85\.128\.0\/17/);
    t.regex(r.stdout, /mail from 2001:db8::1: fail by -all/);
  },
  'mailaudit example.com --sender-ip 192.0.2.10 --mail-from bob@example.com --helo mail.example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /mail from 192\.0\.2\.10, MAIL FROM bob@example\.com.*: fail by -all/);
    t.regex(r.stdout, /mail from 192\.0\.2\.10, HELO mail\.example\.com.*: none/);
  },
  'mailaudit --dkim-selector s2024 --dkim-selector mail.eu example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^ {2}DKIM {4}1 key found \(\d+ selectors tried\)$/m);
    t.regex(r.stdout, /^ {10}s2024 +ed25519/m);
  },
  'npx mailaudit --no-smtp -i domains.txt -f ndjson -o out.ndjson          # stop it any time, then:': (t, r, dir) => {
    t.true(audited(r), r.stderr);
    t.is(r.stdout, '');
    t.deepEqual(ndjsonDomains(join(dir, 'out.ndjson')), ['example.com', 'example.org']);
  },
  'npx mailaudit --no-smtp -i domains.txt -f ndjson -o out.ndjson --resume out.ndjson': (t, r, dir) => {
    t.true(audited(r), r.stderr);
    t.deepEqual(ndjsonDomains(join(dir, 'out.ndjson')), ['example.com', 'example.org'], 'nothing audited twice');
  },
  'cat domains.txt | npx mailaudit --no-smtp -i - -f csv --qps 200 > out.csv': (t, r) => {
    t.true(audited(r), r.stderr);
    const rows = r.stdout.trim().split('\n');
    t.regex(rows[0]!, /^domain,errors,warnings,notes,/);
    t.deepEqual(rows.slice(1).map((l) => l.split(',')[0]).sort(), ['example.com', 'example.org']);
  },
  'mailaudit --zone db.example example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^ {2}SPF {5}v=spf1 mx -all$/m, 'the records of the zone file, for the domain given');
  },
  'mailaudit rules': (t, r) => {
    t.is(r.code, 0);
    t.is(r.stdout.split('\n').filter((l) => /^[a-z0-9-]+ +(error|warning|note) /.test(l)).length, builtinRules().length);
  },
  'mailaudit example.com --dns-server 1.1.1.1': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^example\.com$/m);
  },
  'mailaudit --zone db.example.com example.com': (t, r) => {
    t.true(audited(r), r.stderr);
    t.regex(r.stdout, /^ {2}SPF {5}v=spf1 mx -all$/m);
  },
  'mailaudit -f sarif -o mailaudit.sarif example.com': (t, r, dir) => {
    t.true(audited(r), r.stderr);
    t.is(r.stdout, '');
    t.is(JSON.parse(readFileSync(join(dir, 'mailaudit.sarif'), 'utf8')).version, '2.1.0');
  },
  'mailaudit -f compact example.com example.org': (t, r) => {
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, /^example\.org: error spf-missing example\.org publishes no SPF record.* \[example\.org TXT\]$/m);
  },
  'mailaudit bounce "550-5.7.26 This mail has been blocked because the sender is unauthenticated..."': (t, r) => {
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /5\.7\.26/);
    t.regex(r.stdout, /DMARC/);
  },
  'mailaudit example.com -o report.html': (t, r, dir) => {
    t.true(audited(r), r.stderr);
    t.is(r.stdout, '');
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    t.regex(page, /^<!DOCTYPE html>/i);
    t.regex(page, /example\.com/);
  },
  'mailaudit report': (t, r) => {
    t.is(r.code, 2, 'the command named alone: it needs the ndjson files');
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  },
  'mailaudit report today.ndjson --baseline yesterday.ndjson  # what got better or worse': (t, r) => {
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /2 domains/);
  },
  'mailaudit --input domains.txt --shard auto --format ndjson': (t, r) => {
    t.is(r.code, 2, 'outside a matrix job or an Indexed Job no shard index is set');
    t.regex(r.stderr, /MAILAUDIT_SHARD_INDEX|JOB_COMPLETION_INDEX/);
  },
  'mailaudit report shard-*.ndjson --output posture.html': (t, r, dir) => {
    t.is(r.code, 0, r.stderr);
    t.regex(readFileSync(join(dir, 'posture.html'), 'utf8'), /example\.org/);
  },
  'mailaudit explain spf-missing': (t, r) => {
    t.is(r.code, 0);
    t.regex(r.stdout, /How to fix it/);
  },
  'mailaudit -i domains.txt -f ndjson -o out.ndjson --resume out.ndjson': (t, r, dir) => {
    t.true(audited(r), r.stderr);
    t.deepEqual(ndjsonDomains(join(dir, 'out.ndjson')), ['example.com', 'example.org']);
  },
};

test('every command line of README.md and --help has an expectation here', (t) => {
  const missing = [...readmeCommands(), ...helpCommands()].filter((c) => !EXPECT[c]);
  t.deepEqual(missing, []);
  t.true(readmeCommands().length >= 8, readmeCommands().join('\n'));
});

/** A shell's glob of file names in `dir` (`shard-*.ndjson`), sorted; other words as they are. */
function expandGlobs(args: string[], dir: string): string[] {
  return args.flatMap((a) => {
    if (!a.includes('*') || a.includes('/')) return [a];
    const pattern = new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const names = readdirSync(dir).filter((n) => pattern.test(n)).sort();
    return names.length ? names : [a];
  });
}

/** Results of earlier list runs, as the `mailaudit report` lines expect them in the working directory. */
async function listRunOutputs(dir: string): Promise<void> {
  const r = await runCli(againstTestDns(['--no-smtp', '-i', 'domains.txt', '-f', 'ndjson', '-o', 'today.ndjson']), {}, undefined, dir);
  if (r.code !== 0 && r.code !== 1) throw new Error(r.stderr);
  copyFileSync(join(dir, 'today.ndjson'), join(dir, 'yesterday.ndjson'));
  const [a, b] = readFileSync(join(dir, 'today.ndjson'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'shard-0.ndjson'), `${a}\n`);
  writeFileSync(join(dir, 'shard-1.ndjson'), `${b}\n`);
}

async function runDocumented(t: ExecutionContext, command: string, dir: string) {
  const shell = parseCommand(command);
  shell.args = expandGlobs(shell.args, dir);
  const stdin = shell.stdinFile ? readFileSync(join(dir, shell.stdinFile), 'utf8') : undefined;
  // `report` and `bounce` ask no DNS and take no DNS options.
  const offline = shell.args[0] === 'report' || shell.args[0] === 'bounce';
  const r = await runCli(offline ? shell.args : againstTestDns(shell.args), {}, stdin, dir);
  if (shell.stdoutFile) writeFileSync(join(dir, shell.stdoutFile), r.stdout);
  t.log(command);
  EXPECT[command]!(t, r, dir);
}

// In the order documented: the second ndjson line resumes the first.
test.serial('README.md: every command line runs and does what the text says', async (t) => {
  t.timeout(180_000);
  const dir = workdir();
  await listRunOutputs(dir);
  for (const command of readmeCommands()) await runDocumented(t, command, dir);
});

test.serial('--help: every example runs and does what it says', async (t) => {
  t.timeout(180_000);
  const dir = workdir();
  for (const command of helpCommands()) await runDocumented(t, command, dir);
});

test('--help examples name no file the installed package lacks', (t) => {
  const shipped: string[] = JSON.parse(readFileSync('package.json', 'utf8')).files;
  t.false(shipped.includes('fixtures'), 'fixtures/ is not shipped: the check below means something');
  t.true(existsSync('fixtures'));
  for (const command of helpCommands()) {
    for (const word of command.split(/\s+/)) {
      const top = word.split('/')[0]!;
      if (word.includes('/') && existsSync(top)) t.true(shipped.some((f) => word.startsWith(`${f}/`) || word === f), `${command}: ${word} is not shipped`);
    }
  }
});

test('README states the rule count only where it is the catalogue\'s', (t) => {
  t.regex(README, /`mailaudit rules`/, 'README points at the catalogue');
  for (const m of README.matchAll(/\b(\d+) (?:declarative )?(?:rules|checks)\b/g)) t.is(Number(m[1]), builtinRules().length, m[0]);
});

test('README and --help document every option of the table, numeric ones with their range', async (t) => {
  const help = (await runCli(['--help'])).stdout;
  for (const [name, spec] of Object.entries(OPTIONS)) {
    t.regex(README, new RegExp(`--(no-)?${name}\\b`), `README: --${name}`);
    t.regex(help, new RegExp(`--${name}\\b`), `--help: --${name}`);
    if (spec.kind === 'integer' || spec.kind === 'number') {
      const rows = README.split('\n').filter((l) => l.startsWith('|') && new RegExp(`\`--${name}\\b`).test(l));
      t.true(rows.some((row) => row.includes(`${spec.min}–${spec.max}`)), `README states the range of --${name}`);
    }
  }
});
