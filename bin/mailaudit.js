#!/usr/bin/env node
// The Node version is checked before the CLI is loaded: on an older Node the audit would run and
// report false errors. runtime.js imports nothing, and this file is syntax that Node 20 parses.
import { nodeSupported, unsupportedNodeMessage } from '../dist/src/runtime.js';

if (nodeSupported(process.versions.node)) {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main();
} else {
  process.stderr.write(`${unsupportedNodeMessage(process.versions.node, process.execPath)}\n`);
  process.exitCode = 2;
}
