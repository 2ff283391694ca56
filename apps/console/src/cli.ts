#!/usr/bin/env node
import { runConsole } from './run-console.js';

const code = await runConsole(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
