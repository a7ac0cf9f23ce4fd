import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap growth over the live size (after the last full collection) that triggers the next one. */
export const GC_HEADROOM_BYTES = 16 * 2 ** 20;

/**
 * Full garbage collections on demand, for long list runs. V8 lets the old generation grow to about
 * four times its live size between its own full collections, and a list run promotes a steady
 * trickle of short-lived objects (the domains in flight when a scavenge happens): RSS would climb by
 * tens of MB over a run while the live heap stays near 15 MB. `maybeCollect()`, called after each
 * domain, collects when the heap has grown GC_HEADROOM_BYTES past the live size measured after the
 * previous collection (a few ms each, about once per few hundred domains), which keeps RSS flat.
 * With `growth`, the headroom is at least that share of the live size: a run on the main thread that
 * holds more (json, sarif and text keep the domains done but not yet written in input order) would
 * otherwise spend most of its time in full collections of a large heap.
 * A no-op if the runtime refuses to expose gc.
 */
export function heapKeeper(options: { growth?: number } = {}): { maybeCollect(): void } {
  const growth = options.growth ?? 0;
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    if (typeof fn === 'function') gc = fn as () => void;
  } catch {
    gc = undefined;
  }
  let live = getHeapStatistics().used_heap_size;
  let calls = 0;
  return {
    maybeCollect(): void {
      if (!gc || ++calls % 16 !== 0) return;
      if (getHeapStatistics().used_heap_size < live + Math.max(GC_HEADROOM_BYTES, live * growth)) return;
      gc();
      live = getHeapStatistics().used_heap_size;
    },
  };
}
