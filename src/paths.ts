import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Set by the Action's bundler (scripts/bundle.mjs): the version, and where the package root is
 * relative to the bundle's folder. The bundle runs from a checkout of the action, which has rules/,
 * schemas/ and docs/ next to action.yml but need not have package.json or node_modules.
 */
declare const MAILAUDIT_BUNDLE: { version: string; root: string } | undefined;
const BUNDLE = typeof MAILAUDIT_BUNDLE === 'undefined' ? undefined : MAILAUDIT_BUNDLE;

/** The package's root folder (where package.json, rules/ and schemas/ are), from src/ or dist/src/. */
function findPackageRoot(): string {
  if (BUNDLE) return resolve(dirname(fileURLToPath(import.meta.url)), BUNDLE.root);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'mailaudit') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('mailaudit: cannot find the package root');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const RULES_DIR = join(PACKAGE_ROOT, 'rules');
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
export const VERSION: string = BUNDLE ? BUNDLE.version : JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
/** Where each rule's documentation page is published (docs/rules/<id>.md in the repository). */
export const DOCS_BASE_URL = 'https://github.com/mailaudit/mailaudit/blob/main/docs/rules/';
