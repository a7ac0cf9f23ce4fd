#!/usr/bin/env node
import module from 'node:module';

// Node's on-disk cache of compiled code (Node >= 22.1): later starts skip compiling the module graph.
module.enableCompileCache?.();
const { main } = await import('../dist/src/cli.js');

process.exitCode = await main();
