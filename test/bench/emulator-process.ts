/**
 * The Meta emulator in its own process, for benchmarks that time the agent: Graph's work runs
 * on Meta's servers, not on the agent's CPU, and in-process the emulator's request handling took
 * a third of the provision benchmark's CPU. Started with `startEmulatorProcess`; the child end
 * is this file run directly (fork), speaking over the IPC channel:
 *   parent → child: {type: 'clock', offset}  moves the child's Date.now like the bench's own
 *                   {type: 'report'}         asks for the call log and the world's state
 * The child's answers carry the request's `id`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MetaEmulatorOptions, RecordedCall, EmulatorState } from '../../connectors/meta-business/emulator/index.ts';

type Options = Pick<MetaEmulatorOptions, 'inviteLimit' | 'faults' | 'latencyMs'>;
export interface EmulatorReport { calls: RecordedCall[]; state: EmulatorState }
type Request = { type: 'clock'; offset: number } | { type: 'report' };
type Message = Request & { id: number };

export interface EmulatorProcess {
  url: string;
  setClockOffset(offset: number): Promise<void>;
  report(): Promise<EmulatorReport>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: Options): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`emulator process exited with ${code} before listening`)));
    child.once('message', (m) => resolve((m as { url: string }).url));
  });
  child.removeAllListeners('exit');
  child.on('message', (m) => {
    const { id, value } = m as { id: number; value: unknown };
    waiting.get(id)?.(value);
    waiting.delete(id);
  });
  const ask = <T>(msg: Request): Promise<T> => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve as (v: unknown) => void);
    child.send({ ...msg, id });
  });
  return {
    url,
    setClockOffset: (offset) => ask({ type: 'clock', offset }),
    report: () => ask({ type: 'report' }),
    close: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill(); }),
  };
}

// The child: run as a forked process with the options as its argument.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  Date.now = () => realNow() + offset;
  const { createMetaEmulator } = await import('../../connectors/meta-business/emulator/index.ts');
  const emulator = createMetaEmulator(JSON.parse(process.argv[2] ?? '{}') as Options);
  const server = await emulator.listen(0);
  process.on('message', (m: Message) => {
    if (m.type === 'clock') {
      offset = m.offset;
      process.send!({ id: m.id, value: null });
    } else {
      process.send!({ id: m.id, value: { calls: emulator.calls, state: emulator.control.state() } });
    }
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send({ url: server.url });
}
