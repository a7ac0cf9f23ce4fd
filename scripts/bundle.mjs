// `npm run bundle`: the GitHub Action's entry point (src/action/main.ts) and every dependency in one
// ES module, action/main.mjs, committed so that a run starts without `npm ci`. Deterministic (no
// timestamps, no absolute paths): CI rebuilds it and fails when the committed file differs
// (`npm run bundle:check`). rules/, schemas/ and docs/ are read at run time from the folder above it.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = process.argv[2] ?? 'action/main.mjs';

await build({
  absWorkingDir: new URL('..', import.meta.url).pathname,
  entryPoints: ['src/action/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  // CommonJS dependencies (mailauth, ajv, …) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __mailauditCreateRequire } from 'node:module';\nconst require = __mailauditCreateRequire(import.meta.url);" },
  define: { MAILAUDIT_BUNDLE: JSON.stringify({ version, root: '..' }) },
  legalComments: 'eof',
  charset: 'utf8',
  sourcemap: false,
  minify: false,
  logLevel: 'warning',
});
