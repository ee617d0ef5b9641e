/**
 * A generated Meta business (`generateFixture`) served by the Graph emulator in its own process,
 * as Meta's servers would be: the replica under measurement reaches it over HTTP and none of its
 * work counts in the replica's CPU or RSS. Run with `startMetaProcess`; the child end is this file
 * run directly (fork), which sends its URL over the IPC channel and stops when the parent goes.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MetaProcess {
  url: string;
  close(): Promise<void>;
}

export interface MetaProcessOptions {
  members: number;
  invites: number;
  latencyMs?: number;
}

export async function startMetaProcess(options: MetaProcessOptions): Promise<MetaProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`Meta emulator process exited with ${code} before listening`)));
    child.once('message', (m) => resolve((m as { url: string }).url));
  });
  child.removeAllListeners('exit');
  return {
    url,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
  };
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = JSON.parse(process.argv[2] ?? '{}') as MetaProcessOptions;
  const { createMetaEmulator, generateFixture } = await import('../../../connectors/meta-business/emulator/index.ts');
  const emulator = createMetaEmulator({ fixture: generateFixture({ members: o.members, invites: o.invites }), latencyMs: o.latencyMs ?? 0 });
  const server = await emulator.listen(0, '127.0.0.1');
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send({ url: server.url });
}
