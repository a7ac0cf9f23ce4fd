/** Entry point of the worker thread of a streaming list run (see worker.ts). */
import { parentPort } from 'node:worker_threads';
import { main } from '../cli.js';
import { workerTerminal } from './worker.js';

const code = await main(workerTerminal()?.argv ?? []);
parentPort?.postMessage({ code });
