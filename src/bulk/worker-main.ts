/** Entry point of the worker thread of a streaming list run (see worker.ts). */
import { parentPort } from 'node:worker_threads';
import { main } from '../cli.js';
import { stoppedBySignal } from './interrupt.js';
import { workerTerminal } from './worker.js';

// Every NXDOMAIN from node:dns is a DNSException, and a list run gets dozens per domain (the DKIM
// selectors that do not exist): capturing their stack traces costs more than the rest of the error.
// The CLI prints messages only, never stacks.
Error.stackTraceLimit = 0;
const code = await main(workerTerminal()?.argv ?? []);
parentPort?.postMessage({ code });
// Stopped by a signal: the output is written and closed; the domains still in flight are not waited for.
if (stoppedBySignal()) process.exit(code);
