import { isMainThread, parentPort } from 'node:worker_threads';

/** SIGINT and SIGTERM stop a run cleanly: the output is closed valid, and stderr says how to resume. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit codes after a signal, as shells report them (128 + the signal number). */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** A message the main thread sends a worker running a list (see runInWorker). */
export interface SignalMessage {
  signal: StopSignal;
}

const isSignalMessage = (m: unknown): m is SignalMessage =>
  typeof m === 'object' && m !== null && SIGNALS.includes((m as SignalMessage).signal);

let seen: StopSignal | undefined;

/** The signal that stopped a run in this thread, if one did. */
export function stoppedBySignal(): StopSignal | undefined {
  return seen;
}

/**
 * Watches for SIGINT/SIGTERM: in the main thread the process's own signals (a second one kills the
 * process as usual, since the handler is gone), in a worker the signals the main thread forwards.
 * `stopped` resolves with the first; `dispose` stops watching.
 */
export function watchSignals(): { stopped: Promise<StopSignal>; dispose(): void } {
  let resolveStopped: (s: StopSignal) => void = () => {};
  const stopped = new Promise<StopSignal>((resolve) => (resolveStopped = resolve));
  const fire = (s: StopSignal) => {
    seen ??= s;
    resolveStopped(s);
  };
  if (isMainThread) {
    const handlers = SIGNALS.map((s) => [s, () => fire(s)] as const);
    for (const [s, h] of handlers) process.once(s, h);
    return { stopped, dispose: () => handlers.forEach(([s, h]) => process.off(s, h)) };
  }
  const onMessage = (m: unknown) => {
    if (isSignalMessage(m)) fire(m.signal);
  };
  parentPort?.on('message', onMessage);
  return { stopped, dispose: () => parentPort?.off('message', onMessage) };
}

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The command that resumes a run: its arguments, with `--resume OUTPUT` added unless it is there. */
export function resumeCommand(argv: readonly string[], output: string): string {
  const has = argv.some((a) => a === '--resume' || a.startsWith('--resume='));
  // Before a `--`, after which every argument is a domain.
  const end = argv.indexOf('--');
  const at = end < 0 ? argv.length : end;
  const args = has ? [...argv] : [...argv.slice(0, at), '--resume', output, ...argv.slice(at)];
  return ['mailaudit', ...args].map((a, i) => (i === 0 ? a : shellQuote(a))).join(' ');
}
