import assert from 'node:assert/strict';
import { killIfAlive, startProcess, waitUntilStopped, type ServerProcess } from './server-process.ts';
import { TS_NODE_ARGS } from '../child-node.ts';

/** Admin API helpers the sandbox restart tests share: tasks, checks for updates, SCIM writes. */
export interface Task { id: string; status: string; result?: { changes?: Record<string, number>; reconcileTaskId?: string } }

export async function json<T>(res: Response): Promise<T> {
  assert.ok(res.ok, `${res.url}: HTTP ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

export function adminApi(url: () => string, admin: Record<string, string>) {
  const task = async (id: string): Promise<Task> => {
    for (;;) {
      const t = await json<Task>(await fetch(`${url()}/api/v1/tasks/${id}`, { headers: admin }));
      if (!['queued', 'running', 'waiting'].includes(t.status)) return t;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** No task queued or running (the operations a reconcile enqueued have run). */
  const idle = async () => {
    for (;;) {
      let busy = 0;
      for (const status of ['queued', 'running']) busy += (await json<{ total: number }>(await fetch(`${url()}/api/v1/tasks?status=${status}&limit=1`, { headers: admin }))).total;
      if (busy === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** A check for updates and the reconcile it starts, both finished, and the work they queued done. */
  const check = async (hub: string): Promise<Task> => {
    const { taskId } = await json<{ taskId: string }>(await fetch(`${url()}/api/v1/hubs/${hub}/check-for-updates`, { method: 'POST', headers: admin }));
    const done = await task(taskId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    if (done.result?.reconcileTaskId) await task(done.result.reconcileTaskId);
    await idle();
    return done;
  };
  const scim = (hub: string, token: string, path: string, body: unknown) =>
    fetch(`${url()}/scim/v2/hubs/${hub}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) }).then((r) => json<{ id: string }>(r));
  return { task, idle, check, scim };
}

/** `scim-server/main.ts --config <config>` started and stopped (SIGTERM, exit 0, lock released) as often as a test needs. */
export function serverRuns(t: { after(fn: () => void): void }, config: string, env: Record<string, string>, lockPath: string) {
  let server: ServerProcess | undefined;
  let url = '';
  return {
    url: () => url,
    async start() {
      const started = startProcess(process.execPath, [...TS_NODE_ARGS, 'scim-server/main.ts', '--config', config], { env });
      server = started;
      t.after(() => killIfAlive(started.pid));
      url = await started.listening;
      return url;
    },
    async stop() {
      const running = server!;
      running.kill('SIGTERM');
      await waitUntilStopped({ url, lockPath, pid: running.pid });
      assert.equal((await running.exited).code, 0, running.output().stderr);
    },
  };
}
