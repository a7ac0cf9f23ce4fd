/** Entry point of the worker thread of a streaming list run (see worker.ts). */
import module from 'node:module';
import { parentPort } from 'node:worker_threads';
import { stoppedBySignal } from './interrupt.js';

// The worker loads the module graph again: from Node's compile cache, as the main thread does.
module.enableCompileCache?.();
// The CLI prints messages only, never stacks: capturing stack traces of the many errors of a list run
// (failed lookups, unreachable hosts) costs more than the rest of the error.
Error.stackTraceLimit = 0;
const { main } = await import('../cli.js');
const { workerTerminal } = await import('./worker.js');
const code = await main(workerTerminal()?.argv ?? []);
parentPort?.postMessage({ code });
// Stopped by a signal: the output is written and closed; the domains still in flight are not waited for.
if (stoppedBySignal()) process.exit(code);
