/**
 * The oldest Node this package runs on, and the one line that says so. This module imports
 * nothing, so an old Node can load it (from bin/mailaudit.js and src/index.ts) before anything that
 * might misbehave there, untested (the `engines` floor; before the project's own DNS client, Node
 * 20's missing `resolveTlsa` failed every TLSA lookup).
 */
export const MIN_NODE = '22.19.0';

/** `22.19.0` → [22, 19, 0]. */
function parts(version: string): number[] {
  return version.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
}

export function nodeSupported(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = parts(version);
  const [minMajor = 0, minMinor = 0, minPatch = 0] = parts(MIN_NODE);
  return major !== minMajor ? major > minMajor : minor !== minMinor ? minor > minMinor : patch >= minPatch;
}

/** One line: the Node found, the Node needed, and three ways to get it. */
export function unsupportedNodeMessage(version: string, execPath: string): string {
  return (
    `mailaudit: Node.js ${version.replace(/^v/, '')} (${execPath}) is too old: mailaudit needs Node.js ${MIN_NODE} or newer. ` +
    'Run it with `npx -p node@24 -p mailaudit mailaudit …`, install Node 24 (e.g. `nvm install 24`), ' +
    'or in a clone of the repository run `npm ci`, which installs Node 24 into node_modules/.bin for `npx mailaudit`.'
  );
}

/** Throws the one-line message on a Node older than MIN_NODE. */
export function assertNodeSupported(version: string = process.versions.node, execPath: string = process.execPath): void {
  if (!nodeSupported(version)) throw new Error(unsupportedNodeMessage(version, execPath));
}
