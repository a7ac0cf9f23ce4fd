/** The small path language rules use: `a.b[*].c` selects nodes; `$` alone is the root. */

type Segment = { key: string; each: boolean };

/** Parsed paths: the rules use a few hundred, evaluated for every domain of a run. */
const parsedSegments = new Map<string, Segment[]>();
const parsedKeys = new Map<string, { fromRoot: boolean; keys: string[] }>();
/** Past this many distinct paths (user rules gone wild), parse without keeping. */
const MAX_CACHED_PATHS = 10_000;

function segments(path: string): Segment[] {
  let parsed = parsedSegments.get(path);
  if (!parsed) {
    parsed = path.split('.').map((s) => (s.endsWith('[*]') ? { key: s.slice(0, -3), each: true } : { key: s, each: false }));
    if (parsedSegments.size < MAX_CACHED_PATHS) parsedSegments.set(path, parsed);
  }
  return parsed;
}

function keysOf(path: string): { fromRoot: boolean; keys: string[] } {
  let parsed = parsedKeys.get(path);
  if (!parsed) {
    const fromRoot = path.startsWith('$.');
    parsed = { fromRoot, keys: (fromRoot ? path.slice(2) : path).split('.') };
    if (parsedKeys.size < MAX_CACHED_PATHS) parsedKeys.set(path, parsed);
  }
  return parsed;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every node `path` selects under `root`; `[*]` fans out over an array. Missing parts select nothing. */
export function select(root: unknown, path: string): unknown[] {
  if (path === '$') return [root];
  let nodes: unknown[] = [root];
  for (const { key, each } of segments(path)) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (!isRecord(node) || node[key] === undefined) continue;
      const value = node[key];
      if (each) {
        if (Array.isArray(value)) next.push(...value);
      } else next.push(value);
    }
    nodes = next;
  }
  return nodes;
}

/** The one value at a dotted path (no fan-out); `$.` paths start at `root`, others at `node`. */
export function valueAt(node: unknown, root: unknown, path: string): unknown {
  const { fromRoot, keys } = keysOf(path);
  let value: unknown = fromRoot ? root : node;
  for (const key of keys) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}
