/**
 * Issue 12 item 10: records and SMTP replies that carry terminal escapes (clear screen, set the
 * title, write the clipboard, conceal) reach the reader escaped in text and compact output.
 */
import test from 'ava';
import type { ZoneRecord } from '../src/dns/types.js';
import { escapeControls } from '../src/report/text-escape.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startRawServer, type RunningServer } from './helpers/smtp-servers.js';

const ESC = '\x1b';
const CLEAR = `${ESC}[2J`;
const TITLE = `${ESC}]0;owned${'\x07'}`;
const CLIPBOARD = `${ESC}]52;c;ZWNobyBvd25lZA==${'\x07'}`;
const CONCEAL = `${ESC}[8m`;
const C1_CSI = '\x9b2J';

const origin = { file: 'escape-test', line: 1 };
const txt = (name: string, text: string): ZoneRecord => ({ name, type: 'TXT', ttl: 300, data: [text], origin });

let dns: TestDnsServer;
let smtp: RunningServer;

test.before(async () => {
  smtp = await startRawServer('127.0.0.1', 0, {
    greeting: [`220-mx1.esc.test ${CLEAR}ESMTP${TITLE}`, `220 ready ${CONCEAL}`],
    replies: { EHLO: `250-mx1.esc.test hello ${CLIPBOARD}\r\n250 SIZE 1000${C1_CSI}` },
  });
  dns = await startDnsServer({
    records: [
      { name: 'esc.test', type: 'MX', ttl: 300, data: { preference: 10, exchange: 'mx1.esc.test' }, origin } as ZoneRecord,
      { name: 'mx1.esc.test', type: 'A', ttl: 300, data: '127.0.0.1', origin } as ZoneRecord,
      txt('esc.test', `v=spf1 ${CLEAR}ip4:192.0.2.1 ${TITLE} -all`),
      txt('_dmarc.esc.test', `v=DMARC1; p=none; rua=mailto:${CONCEAL}a@esc.test; ${CLIPBOARD}`),
      txt('default._domainkey.esc.test', `v=DKIM1; k=rsa; n=${CLEAR}; p=${TITLE}`),
      txt('_mta-sts.esc.test', `v=STSv1; id=${CLEAR}1`),
      txt('_smtp._tls.esc.test', `v=TLSRPTv1; rua=mailto:${TITLE}r@esc.test`),
    ],
  });
});
test.after.always(async () => {
  await dns?.close();
  await smtp?.close();
});

const args = () => ['esc.test', '--dns-server', dns.address, '--smtp-port', String(smtp.port), '--smtp-timeout', '5000', '--timeout', '5000', '--https-port', '1', '--http-timeout', '2000', '--ehlo-name', 'probe.test'];

test('escapeControls shows C0, DEL, C1 and bidi controls visibly, and leaves the rest', (t) => {
  t.is(escapeControls(`a${CLEAR}b`), 'a\\x1b[2Jb');
  t.is(escapeControls('\x07\x7f\x9b\r\n\t'), '\\x07\\x7f\\x9b\\x0d\\x0a\\x09');
  t.is(escapeControls('abc\u202edef'), 'abc\\u202edef');
  t.is(escapeControls('bücher ✔ 💩'), 'bücher ✔ 💩');
});

for (const format of ['text', 'compact'] as const) {
  test(`${format} output: escapes from records, the banner and EHLO are shown, never sent to the terminal`, async (t) => {
    t.timeout(60_000);
    const r = await runCli([...args(), '--format', format]);
    t.not(r.code, 2, r.stderr);
    t.false(r.stdout.includes(ESC), 'no raw ESC');
    t.false(r.stdout.includes('\x07'), 'no raw BEL');
    t.false(r.stdout.includes('\x9b'), 'no raw C1 CSI');
    t.true(r.stdout.includes('\\x1b[2J'), r.stdout);
    if (format === 'text') {
      t.true(r.stdout.includes('\\x1b]0;owned\\x07'), 'the SPF record shows its title escape');
      t.true(r.stdout.includes('\\x1b[8m'), 'the banner or DMARC record shows its conceal escape');
      t.regex(r.stdout, /220 mx1\.esc\.test \\x1b\[2JESMTP\\x1b\]0;owned\\x07/, 'the greeting');
    }
  });
}

test('text output with colour: the only escapes are the colours the renderer adds', async (t) => {
  t.timeout(60_000);
  const r = await runCli([...args(), '--color']);
  t.not(r.code, 2, r.stderr);
  const escapes = r.stdout.match(/\x1b[^m]*m/g) ?? [];
  t.true(escapes.length > 0);
  for (const e of escapes) t.regex(e, /^\x1b\[[0-9;]*m$/);
  t.false(/\x1b\[(?:2J|8m)/.test(r.stdout));
  t.false(r.stdout.includes(`${ESC}]`));
});
