import { valueAt } from './path.js';

const PLACEHOLDER = /\{\{\s*([$A-Za-z_][A-Za-z0-9_.$]*)\s*\}\}/g;

/** The variable names a template refers to. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Looks a template variable up: first among `vars` (domain, check results), then in the node. */
export function lookupVar(name: string, vars: Record<string, unknown>, node: unknown, root: unknown): unknown {
  if (name in vars) return vars[name];
  return valueAt(node, root, name);
}

export function render(template: string, resolve: (name: string) => unknown): string {
  return template.replace(PLACEHOLDER, (_, name: string) => formatValue(resolve(name)));
}
