import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { MIN_NODE, nodeSupported, unsupportedNodeMessage } from '../src/runtime.js';
import { findOldNode } from './helpers/old-node.js';

test('the oldest supported Node is 22.19.0, as package.json engines says', async (t) => {
  const { readFileSync } = await import('node:fs');
  t.is(MIN_NODE, '22.19.0');
  t.is(JSON.parse(readFileSync('package.json', 'utf8')).engines.node, `>=${MIN_NODE}`);
  for (const v of ['20.20.2', 'v20.19.0', '21.7.3', '22.18.9', '22.9.0', '18.20.0']) t.false(nodeSupported(v), v);
  for (const v of ['22.19.0', 'v22.19.1', '22.20.0', '23.0.0', '24.21.0', '25.1.0']) t.true(nodeSupported(v), v);
});

test('the message is one line: the Node found, the Node needed, how to get it', (t) => {
  const m = unsupportedNodeMessage('20.20.2', '/usr/bin/node');
  t.false(m.includes('\n'));
  t.regex(m, /Node\.js 20\.20\.2 \(\/usr\/bin\/node\)/);
  t.regex(m, /needs Node\.js 22\.19\.0 or newer/);
  t.regex(m, /npx -p node@24 -p mailaudit mailaudit/);
  t.regex(m, /nvm install 24/);
  t.regex(m, /npm ci/);
});

const oldNode = findOldNode();
// Without an old Node on PATH (outside node_modules) there is nothing to run these with.
const withOldNode = oldNode ? test : test.skip;

withOldNode('on the system Node (too old), bin/mailaudit.js exits 2 with the one line and no report', (t) => {
  const r = spawnSync(oldNode!.path, [join('bin', 'mailaudit.js'), '--no-smtp', '--zone', 'fixtures/no-spf/zone.db', '--format', 'json'], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 2, r.stderr);
  t.is(r.stdout, '', 'no report');
  t.is(r.stderr, `${unsupportedNodeMessage(oldNode!.version, oldNode!.path)}\n`);
});

withOldNode('on the system Node (too old), importing the library throws the same text', (t) => {
  const entry = new URL(`file://${join(process.cwd(), 'dist', 'src', 'index.js')}`).href;
  const script = `import(${JSON.stringify(entry)}).then(() => console.log('loaded'), (e) => { console.log(e.message); process.exitCode = 3; })`;
  const r = spawnSync(oldNode!.path, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 3, r.stdout + r.stderr);
  t.is(r.stdout, `${unsupportedNodeMessage(oldNode!.version, oldNode!.path)}\n`);
});
