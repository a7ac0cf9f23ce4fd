/**
 * Loaded into a child process with `--import` (NODE_OPTIONS): on exit, writes the process's peak
 * resident set size in kilobytes (worker threads included) to the file MAILAUDIT_TEST_MAX_RSS names.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.MAILAUDIT_TEST_MAX_RSS;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
