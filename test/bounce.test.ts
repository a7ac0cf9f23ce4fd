/**
 * `mailaudit bounce` (issue 16): reply texts from the receivers' published documentation
 * (test/data/bounce-texts.json names the source of each), the code table against its schema, and the
 * CLI with the text as arguments and on stdin.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { explainBounce, unfoldReply } from '../src/bounce/explain.js';
import { runCli } from './helpers/cli.js';
import { dataTableErrors } from './helpers/data-schema.js';

interface Case {
  name: string;
  source: string;
  text: string;
  expect: { replyCode: string; statusCode: string; provider?: string; audit: string[]; domain?: string; severity?: string; status?: string | null };
}
const cases = JSON.parse(readFileSync('test/data/bounce-texts.json', 'utf8')) as Case[];

test('the code table validates against its schema and every wording pattern compiles', (t) => {
  t.deepEqual(dataTableErrors('bounce-codes'), []);
  t.true(cases.every((c) => c.source.length > 20), 'every test text names where it came from');
});

for (const c of cases) {
  test(`published text: ${c.name}`, (t) => {
    const e = explainBounce(c.text);
    t.is(e.replyCode, c.expect.replyCode);
    t.is(e.statusCode, c.expect.statusCode);
    t.is(e.provider?.id, c.expect.provider);
    t.deepEqual(e.audit, c.expect.audit);
    t.is(e.domain, c.expect.domain);
    if (c.expect.severity) t.is(e.severity as string | undefined, c.expect.severity);
    if (c.expect.status !== undefined) t.is(e.status?.meaning, c.expect.status ?? undefined);
    if (c.expect.audit.length) t.is(e.command, `mailaudit ${c.expect.domain ?? '<sender-domain>'}`);
    else t.is(e.command, undefined);
  });
}

test('a multi-line reply is unfolded once; a text without codes is said so', (t) => {
  t.is(unfoldReply('550-5.7.1 first part\r\n550-5.7.1 second\r\n550-5.7.1\r\n550 5.7.1 end'), '550 5.7.1 first part second end');
  const none = explainBounce('Your message could not be delivered.');
  t.is(none.replyCode, undefined);
  t.deepEqual(none.audit, []);
  const dsn = explainBounce('Diagnostic-Code: smtp; 550 5.7.23 SPF validation failed');
  t.is(dsn.replyCode, '550');
  t.is(dsn.status?.meaning, 'SPF validation failed');
  t.deepEqual(dsn.audit, ['SPF']);
});

test('CLI: the text as an argument and on stdin; JSON', async (t) => {
  const gmail = cases[0]!.text;
  const arg = await runCli(['bounce', gmail]);
  t.is(arg.code, 0, arg.stderr);
  t.regex(arg.stdout, /Reply code +550 +permanent/);
  t.regex(arg.stdout, /Status code +5\.7\.26/);
  t.regex(arg.stdout, /Multiple authentication checks failed \(RFC 7372 §3\.4; IANA registry\)/);
  t.regex(arg.stdout, /Receiver +Gmail: /);
  t.regex(arg.stdout, /Run +mailaudit example\.org/);
  const stdin = await runCli(['bounce'], {}, gmail);
  t.is(stdin.stdout, arg.stdout);
  const json = JSON.parse((await runCli(['bounce', cases[7]!.text, '--format', 'json'])).stdout);
  t.is(json.statusCode, '5.7.515');
  t.is(json.provider.id, 'microsoft');
  t.is(json.status, undefined, '5.7.515 is Microsoft\'s own, not in the IANA registry');
  const ms = await runCli(['bounce', cases[7]!.text]);
  t.regex(ms.stdout, /not in the IANA registry/);
});
