import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { SIGNAL_EXIT_CODE, type SignalMessage, type StopSignal } from './interrupt.js';

/**
 * Streaming list runs (ndjson, csv) go to a worker thread with a capped young generation.
 *
 * Why: V8 doubles the young generation each time the bytes that survived scavenges since its last
 * growth exceed its size. A long list run always has a few dozen domains in flight, so some bytes
 * survive every scavenge and the young generation ends at its maximum (on Node 24 with plenty of
 * RAM, 128 MB): RSS then grows with the length of the list although the live heap stays near 10 MB.
 * V8 reads its young generation limit once, at start-up (`--max-semi-space-size` set later is
 * ignored); a worker's `resourceLimits` set it for the worker's own heap, in the same process.
 */
export const WORKER_YOUNG_GENERATION_MB = 24;

/** What the worker needs to know about the terminal it cannot see (its stdio are pipes to us). */
export interface BulkWorkerData {
  argv: string[];
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number;
}

/** In the worker: the terminal facts the main thread passed on; undefined in the main thread. */
export function workerTerminal(): BulkWorkerData | undefined {
  return isMainThread ? undefined : (workerData as BulkWorkerData | undefined);
}

/** Runs the CLI with `argv` in a worker thread; resolves with its exit code once its output is written. */
export async function runInWorker(argv: string[], options: { stdin: boolean }): Promise<number> {
  const data: BulkWorkerData = {
    argv,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns || 80,
  };
  const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
    workerData: data,
    stdin: options.stdin,
    stdout: true,
    stderr: true,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  if (options.stdin && worker.stdin) process.stdin.pipe(worker.stdin);
  const ended = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => stream.once('end', resolve));
  // Written with backpressure: the worker's writes complete only as we consume them.
  worker.stdout.pipe(process.stdout, { end: false });
  worker.stderr.pipe(process.stderr, { end: false });
  const outputDone = Promise.all([ended(worker.stdout), ended(worker.stderr)]);
  // The reader went away (`| head`): stop auditing; not an error of ours.
  let readerGone = false;
  const onStdoutError = () => {
    readerGone = true;
    worker.stdout.unpipe(process.stdout);
    worker.stdout.resume();
    void worker.terminate();
  };
  process.stdout.once('error', onStdoutError);
  let code: number | undefined;
  let failure: Error | undefined;
  worker.on('message', (message: { code?: number }) => {
    if (typeof message?.code === 'number') code = message.code;
  });
  worker.on('error', (err) => (failure = err));
  // SIGINT/SIGTERM go to the worker, which closes its output and says how to resume (interrupt.ts).
  // A second signal ends the process at once, as a signal without a handler does.
  const forward = (signal: StopSignal) => {
    worker.postMessage({ signal } satisfies SignalMessage);
    process.once(signal, () => process.exit(SIGNAL_EXIT_CODE[signal]));
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, () => forward(s)] as const);
  for (const [s, h] of handlers) process.once(s, h);
  let exitCode = 0;
  await new Promise<void>((resolve) =>
    worker.once('exit', (c) => {
      exitCode = c;
      resolve();
    }),
  );
  for (const [s, h] of handlers) process.off(s, h);
  if (!readerGone) await outputDone;
  process.stdout.off('error', onStdoutError);
  if (options.stdin) process.stdin.unpipe(worker.stdin!).pause();
  if (readerGone) return code ?? 0;
  if (failure) throw failure;
  return code ?? (exitCode || 2);
}
