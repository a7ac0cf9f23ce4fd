#!/usr/bin/env node
// The Node version is checked before the CLI is loaded: on an older Node the audit would run and
// report false errors. runtime.js imports nothing, and this file is syntax that Node 20 parses.
import { nodeSupported, unsupportedNodeMessage } from '../dist/src/runtime.js';
import module from 'node:module';

if (nodeSupported(process.versions.node)) {
  // Node's on-disk cache of compiled code (Node >= 22.1): later starts skip compiling the module graph.
  module.enableCompileCache?.();
  const argv = process.argv.slice(2);
  // A list run as ndjson/csv goes on in a worker thread, which loads the CLI itself: started before
  // this thread loads anything it would not use (bulk/worker.ts imports only node:worker_threads).
  const worker = await import('../dist/src/bulk/worker.js');
  if (worker.startsInWorker(argv)) process.exitCode = await worker.runCliInWorker(argv);
  else {
    const { main } = await import('../dist/src/cli.js');
    process.exitCode = await main();
  }
} else {
  process.stderr.write(`${unsupportedNodeMessage(process.versions.node, process.execPath)}\n`);
  process.exitCode = 2;
}
