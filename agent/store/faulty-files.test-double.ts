import { nodeFiles, type StoreFileHandle, type StoreFiles } from './store-files.ts';

/**
 * A file layer that misbehaves as a real disk does, for the store's fault tests: the next writes
 * to a file fail with ENOSPC or EIO, come back short (fewer bytes than asked, then maybe an error),
 * an fsync fails with EIO, or a rename fails. Faults apply to paths containing `path` (any path if
 * omitted) and stay until `heal()`, as a full disk stays full until someone frees space.
 */
export type Fault =
  /** `afterBytes`: that many more bytes are written first (a disk filling up mid-record). */
  | { op: 'write'; code: 'ENOSPC' | 'EIO'; path?: string; afterBytes?: number }
  | { op: 'short-write'; path?: string; bytes: number; times?: number }
  | { op: 'datasync' | 'sync' | 'rename' | 'open'; code: 'ENOSPC' | 'EIO' | 'EXDEV' | 'EACCES'; path?: string }
  /**
   * An fdatasync fails with EIO and the writes it was to make durable are lost, as Linux does:
   * the dirty pages are marked clean after a writeback error, so the next fdatasync succeeds with
   * nothing written (https://wiki.postgresql.org/wiki/Fsync_Errors). Here the bytes written through
   * that handle since its last successful sync turn to zeros (what a reread after eviction finds).
   */
  | { op: 'datasync-losing'; path?: string };

export class FaultyFiles implements StoreFiles {
  private faults: Fault[] = [];
  /** Operations refused, and writes cut short, so far (a test asserts the fault was actually hit). */
  refused = 0;
  shortened = 0;
  /**
   * Every open (with its flags), fsync, fdatasync, rename and unlink, in order: a power loss keeps
   * only what a sync made durable, so a test checks the order (a new file's folder synced before
   * the journal holding its records is dropped).
   */
  readonly ops: string[] = [];
  private budget = new WeakMap<Fault, number>();

  inject(fault: Fault): void {
    if (fault.op === 'write') this.budget.set(fault, fault.afterBytes ?? 0);
    this.faults.push(fault);
  }

  heal(): void {
    this.faults = [];
  }

  private find(op: Fault['op'], path: string): Fault | undefined {
    return this.faults.find((f) => f.op === op && (f.path === undefined || path.includes(f.path)));
  }

  private error(code: string, op: string, path: string): Error {
    this.refused++;
    return Object.assign(new Error(`${code}: injected ${op} failure, ${path}`), { code });
  }

  async open(path: string, flags: string, mode?: number): Promise<StoreFileHandle> {
    const fault = this.find('open', path);
    if (fault && 'code' in fault) throw this.error(fault.code, 'open', path);
    this.ops.push(`open ${flags} ${path}`);
    const real = await nodeFiles.open(path, flags, mode);
    const faults = this;
    let dirty: Array<[position: number, length: number]> = [];
    return {
      async write(buffer, offset, length, position) {
        const short = faults.find('short-write', path) as Extract<Fault, { op: 'short-write' }> | undefined;
        const failing = faults.find('write', path) as Extract<Fault, { op: 'write' }> | undefined;
        const left = failing ? faults.budget.get(failing)! : Infinity;
        if (failing && left <= 0) throw faults.error(failing.code, 'write', path);
        if (left < length) {
          length = left; // fills the disk, then fails
          faults.shortened++;
        }
        if (short && (short.times ?? Infinity) > 0 && short.bytes < length) {
          short.times = (short.times ?? Infinity) - 1;
          length = short.bytes;
          faults.shortened++;
        }
        const result = await real.write(buffer, offset, length, position);
        dirty.push([position, result.bytesWritten]);
        if (failing) faults.budget.set(failing, left - result.bytesWritten);
        return result;
      },
      async datasync() {
        const fault = faults.find('datasync', path);
        if (fault && 'code' in fault) throw faults.error(fault.code, 'fdatasync', path);
        if (faults.find('datasync-losing', path)) {
          for (const [position, length] of dirty) await real.write(Buffer.alloc(length), 0, length, position);
          dirty = [];
          throw faults.error('EIO', 'fdatasync', path);
        }
        await real.datasync();
        dirty = [];
        faults.ops.push(`datasync ${path}`);
      },
      async sync() {
        const fault = faults.find('sync', path);
        if (fault && 'code' in fault) throw faults.error(fault.code, 'fsync', path);
        await real.sync();
        dirty = [];
        faults.ops.push(`sync ${path}`);
      },
      async truncate(n) {
        dirty = dirty.flatMap(([position, length]) => (position >= n ? [] : [[position, Math.min(length, n - position)] as [number, number]]));
        await real.truncate(n);
      },
      stat: () => real.stat(),
      close: () => real.close(),
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const fault = this.find('rename', to) ?? this.find('rename', from);
    if (fault && 'code' in fault) throw this.error(fault.code, 'rename', `${from} -> ${to}`);
    await nodeFiles.rename(from, to);
    this.ops.push(`rename ${from} ${to}`);
  }

  async unlink(path: string): Promise<void> {
    await nodeFiles.unlink(path);
    this.ops.push(`unlink ${path}`);
  }

  read = nodeFiles.read;
  size = nodeFiles.size;
  modifiedMs = nodeFiles.modifiedMs;
  copy = nodeFiles.copy;
  mkdir = nodeFiles.mkdir;
  list = nodeFiles.list;
}
