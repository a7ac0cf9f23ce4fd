/** The small path language rules use: `a.b[*].c` selects nodes; `$` alone is the root. */

type Segment = { key: string; each: boolean };

function segments(path: string): Segment[] {
  return path.split('.').map((s) => (s.endsWith('[*]') ? { key: s.slice(0, -3), each: true } : { key: s, each: false }));
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
  const [start, rest] = path.startsWith('$.') ? [root, path.slice(2)] : [node, path];
  let value: unknown = start;
  for (const key of rest.split('.')) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}
