/**
 * The Meta emulator in its own process, for benchmarks that time the agent: Graph's work runs
 * on Meta's servers, not on the agent's CPU, and in-process the emulator's request handling took
 * a third of the provision benchmark's CPU. Started with `startEmulatorProcess`; the child end
 * is this file run directly (fork), speaking over the IPC channel:
 *   parent → child: {type: 'clock', offset}  moves the child's Date.now like the bench's own
 *                   {type: 'report'}         asks for the call log and the world's state
 *                   {type: 'calls', from}    asks for the calls recorded from index `from` on
 *                                            (tests that follow the log while it grows, cheaply)
 * The child's answers carry the request's `id`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MetaEmulatorOptions, RecordedCall, EmulatorState } from '../../connectors/meta-business/emulator/index.ts';

type Options = Pick<MetaEmulatorOptions, 'inviteLimit' | 'faults' | 'latencyMs'>;
export interface EmulatorReport { calls: RecordedCall[]; state: EmulatorState }
type Request = { type: 'clock'; offset: number } | { type: 'report' } | { type: 'calls'; from: number };
type Message = Request & { id: number };

export interface EmulatorProcess {
  url: string;
  setClockOffset(offset: number): Promise<void>;
  report(): Promise<EmulatorReport>;
  /** The calls recorded since the first `from` (the log only grows): poll with the count seen so far. */
  callsFrom(from: number): Promise<RecordedCall[]>;
  /** Ends the child; also its exit when it is already gone (a test's cleanup after a failure). */
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: Options): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`emulator process exited with ${code} before listening`)));
    child.once('message', (m) => resolve((m as { url: string }).url));
  });
  child.removeAllListeners('exit');
  child.on('message', (m) => {
    const { id, value } = m as { id: number; value: unknown };
    waiting.get(id)?.resolve(value);
    waiting.delete(id);
  });
  // A question asked of a child that died would wait forever: answer it with the exit instead.
  child.on('exit', (code, signal) => {
    for (const { reject } of waiting.values()) reject(new Error(`emulator process exited (${code ?? signal})`));
    waiting.clear();
  });
  const ask = <T>(msg: Request): Promise<T> => new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('emulator process has exited'));
    const id = nextId++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ ...msg, id });
  });
  return {
    url,
    setClockOffset: (offset) => ask({ type: 'clock', offset }),
    report: () => ask({ type: 'report' }),
    callsFrom: (from) => ask({ type: 'calls', from }),
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
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
    } else if (m.type === 'calls') {
      process.send!({ id: m.id, value: emulator.calls.slice(m.from) });
    } else {
      process.send!({ id: m.id, value: { calls: emulator.calls, state: emulator.control.state() } });
    }
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send({ url: server.url });
}
