#!/usr/bin/env node
// The `hubwarden` command (package.json "bin", also `npx hubwarden`). The project runs TypeScript
// through tsx with no build step, so this shim registers tsx's loader in this process and hands
// over to agent/cli/main.ts (one process: signals and exit codes are the CLI's own).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../agent/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
