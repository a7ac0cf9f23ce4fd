/** The GitHub Action's entry point (action.yml runs it with Node 24). */
import { runAction } from './run.js';

// Paths in inputs, SARIF and annotations are relative to the repository root.
if (process.env.GITHUB_WORKSPACE) process.chdir(process.env.GITHUB_WORKSPACE);
process.exitCode = await runAction({ env: process.env, stdout: (text) => process.stdout.write(text) });
