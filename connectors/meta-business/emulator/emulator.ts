/** Alias of index.ts: some callers import the emulator as `emulator/emulator.ts`. */
export * from './index.ts';
