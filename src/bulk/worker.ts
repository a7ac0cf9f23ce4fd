import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
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

/** The formats of a list run that goes on in a worker (bulk/run.ts's STREAMING_FORMATS). */
export const WORKER_FORMATS: ReadonlySet<string> = new Set(['ndjson', 'csv']);

/**
 * Whether the command line asks for a list run in a worker, decided from `argv` alone so that the main
 * thread can start the worker before it loads the CLI (the worker loads it anyway): a worker start
 * saves the main thread's module graph and option parsing, about half of the start-up.
 * True only when one `--format`/`-f` names ndjson or csv, outside `mailaudit report` and help or
 * version requests; anything less plain (the format twice, `-fndjson`, …) answers false and goes
 * through the CLI in the main thread, which still hands a streaming run to a worker (cli.ts). The
 * worker parses the whole command line itself: a bad option is its one line on stderr and exit 2,
 * as in the main thread.
 */
export function startsInWorker(argv: readonly string[]): boolean {
  if (argv[0] === 'report') return false;
  const formats: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--help' || arg === '--version' || /^-[a-zA-Z]*h[a-zA-Z]*$/.test(arg)) return false;
    const joined = /^(?:--format|-f)=(.*)$/.exec(arg);
    if (joined) formats.push(joined[1]!);
    else if (arg === '--format' || arg === '-f') formats.push(argv[++i] ?? '');
  }
  return formats.length === 1 && WORKER_FORMATS.has(formats[0]!);
}

/** What a worker tells the main thread: its exit code, or that it reads standard input. */
interface WorkerMessage {
  code?: number;
  stdin?: boolean;
}

/**
 * In a list run's worker: the run reads standard input (`--input -`, `--zone -`), which the main
 * thread then passes on. Asked for once the command line is parsed: the worker starts before anyone
 * knows, and stdin is left alone when it is not read.
 */
export function requestStdin(): void {
  if (workerTerminal()) parentPort?.postMessage({ stdin: true } satisfies WorkerMessage);
}

/**
 * bin/mailaudit.js, for a command line startsInWorker accepts: the CLI in a worker, straight away;
 * an error of the worker itself is one line and exit code 2, as the CLI's main() says it.
 */
export async function runCliInWorker(argv: string[]): Promise<number> {
  try {
    return await runInWorker(argv);
  } catch (err) {
    process.stderr.write(`mailaudit: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    return 2;
  }
}

/** Runs the CLI with `argv` in a worker thread; resolves with its exit code once its output is written. */
export async function runInWorker(argv: string[]): Promise<number> {
  const data: BulkWorkerData = {
    argv,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns || 80,
  };
  const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
    workerData: data,
    // Passed on only when the worker asks (requestStdin).
    stdin: true,
    stdout: true,
    stderr: true,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
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
  let stdinPiped = false;
  worker.on('message', (message: WorkerMessage) => {
    if (typeof message?.code === 'number') code = message.code;
    if (message?.stdin && !stdinPiped && worker.stdin) {
      stdinPiped = true;
      process.stdin.pipe(worker.stdin);
    }
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
  if (stdinPiped) process.stdin.unpipe(worker.stdin!).pause();
  if (readerGone) return code ?? 0;
  if (failure) throw failure;
  return code ?? (exitCode || 2);
}
