// `npm run bundle`: the GitHub Action's entry point (src/action/main.ts) and every dependency in one
// ES module, action/main.mjs, committed so that a run starts without `npm ci`. Deterministic (no
// timestamps, no absolute paths): CI runs `npm run bundle:check` (`--check`: build in memory and
// fail when action/main.mjs differs). rules/, schemas/ and docs/ are read at run time from the
// folder above it.
import { existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const check = process.argv.includes('--check');
const outfile = 'action/main.mjs';

const result = await build({
  write: !check,
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

if (check) {
  const built = result.outputFiles[0].contents;
  const path = new URL(`../${outfile}`, import.meta.url);
  if (!existsSync(path) || !Buffer.from(built).equals(readFileSync(path))) {
    console.error(`${outfile} is not what the sources build: run \`npm run bundle\` and commit ${outfile}`);
    process.exitCode = 1;
  } else console.log(`${outfile} is up to date`);
}
