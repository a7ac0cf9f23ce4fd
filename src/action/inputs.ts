/** The Action's inputs, as the runner passes them: INPUT_<NAME> environment variables. */
import { existsSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { UsageError } from '../cli.js';

/**
 * An input's value. The runner upper-cases the name and turns spaces into `_` but keeps `-`
 * (INPUT_FAIL-ON); a composite action passes them through `env:`, where `_` is easier (INPUT_FAIL_ON).
 */
export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  const key = `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  return (env[key] ?? env[key.replace(/-/g, '_')] ?? '').trim();
}

/** A list input: items separated by newlines, commas or spaces; `#` starts a comment line. */
export function getList(env: NodeJS.ProcessEnv, name: string): string[] {
  return getInput(env, name)
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter(Boolean);
}

/** Splits pass-through arguments as a POSIX shell would split words: quotes and backslashes, no expansion. */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new UsageError(`the args input has an unterminated ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Zone files from patterns (relative to `cwd`, the repository root): globs are expanded, sorted and
 * deduplicated; `!pattern` removes matches; a plain path is kept even when missing, so that an
 * unreadable file is reported. Returns the files and the patterns that matched nothing.
 */
export async function expandZones(patterns: readonly string[], cwd: string): Promise<{ files: string[]; unmatched: string[] }> {
  const files = new Set<string>();
  const unmatched: string[] = [];
  const excluded = new Set<string>();
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (!GLOB_CHARS.test(p)) {
      if (negated) excluded.add(p.replace(/^\.\//, ''));
      else files.add(p.replace(/^\.\//, ''));
      continue;
    }
    const matches: string[] = [];
    for await (const m of glob(p, { cwd })) matches.push(m.split('\\').join('/'));
    const real = matches.filter((m) => existsSync(`${cwd}/${m}`));
    if (negated) real.forEach((m) => excluded.add(m));
    else if (real.length === 0) unmatched.push(pattern);
    else real.sort().forEach((m) => files.add(m));
  }
  return { files: [...files].filter((f) => !excluded.has(f)), unmatched };
}
