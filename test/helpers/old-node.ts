import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { nodeSupported } from '../../src/runtime.js';

/**
 * A Node older than mailaudit supports, found on PATH outside any node_modules/.bin (the system Node
 * a user has: 20 on this project's machines), with its version; undefined when there is none.
 */
export function findOldNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    try {
      accessSync(path, constants.X_OK);
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().replace(/^v/, '');
      if (!nodeSupported(version)) return { path, version };
    } catch {
      // not there, or not runnable
    }
  }
  return undefined;
}
