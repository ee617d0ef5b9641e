/**
 * Debounced saving of an emulator's world (or any document): one write per burst of changes,
 * never two writes at once (a change during a write is saved by the next one), and a failed write
 * is reported and retried at the next change or flush. The caller decides what is serialized and
 * where the text goes; connectors never import the product's storage code.
 */
import express, { type Express } from 'express';

export interface DebouncedSaver {
  /** A change happened: save within `debounceMs` (changes in a burst are saved once). */
  changed(): void;
  /** Saves pending changes now; resolves when they are written, throws if they could not be. */
  flush(): Promise<void>;
}

export interface DebouncedSaveOptions {
  debounceMs?: number;
  onError?: (err: Error) => void;
  /** The message `flush()` throws when the pending changes could not be written. */
  failure?: string;
}

export function debouncedSaver(serialize: () => string, save: (text: string) => Promise<void>, options: DebouncedSaveOptions = {}): DebouncedSaver {
  const debounceMs = options.debounceMs ?? 100;
  let dirty = false;
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> | null = null;
  const write = async (): Promise<void> => {
    while (writing) await writing;
    if (!dirty) return;
    dirty = false;
    writing = save(serialize()).catch((err: Error) => {
      dirty = true;
      options.onError?.(err);
    });
    try {
      await writing;
    } finally {
      writing = null;
    }
  };
  return {
    changed() {
      dirty = true;
      timer ??= setTimeout(() => {
        timer = null;
        void write();
      }, debounceMs);
      timer.unref(); // the owner flushes at shutdown; a pending save must not keep a process alive
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      await write();
      if (dirty) throw new Error(options.failure ?? 'the pending changes could not be saved');
    },
  };
}

/**
 * Any request but GET/HEAD may have changed an emulator's world (API writes, batches, the control
 * endpoints): save after it is answered. Reads change nothing that is not derived from the clock.
 */
export function savingAfterWrites(app: Express, saver: DebouncedSaver): Express {
  const outer = express();
  outer.disable('x-powered-by');
  outer.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') res.once('finish', () => saver.changed());
    next();
  });
  outer.use(app);
  return outer;
}
