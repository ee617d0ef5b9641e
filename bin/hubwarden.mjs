#!/usr/bin/env node
// The `hubwarden` command (package.json "bin", also `npx hubwarden`). In a clone it runs the
// TypeScript source: tsx's loader is registered in this process and agent/cli/main.ts takes over
// (one process: signals and exit codes are the CLI's own). In a production install (the built
// dist/ and `npm ci --omit=dev`, no sources, no tsx) it runs dist/agent/cli/main.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../agent/cli/main.ts', import.meta.url);
let cli;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('../dist/agent/cli/main.js', import.meta.url).href);
}
process.exitCode = await cli.run(process.argv.slice(2));
