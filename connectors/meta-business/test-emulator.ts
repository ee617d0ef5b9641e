import { after, before } from 'node:test';
import { createMetaEmulator, type MetaEmulator, type MetaEmulatorOptions } from './emulator/index.ts';

/**
 * Our Graph emulator on 127.0.0.1 for the enclosing describe block (call it there), so connector
 * test files share one start and stop. Made at once (it opens no port); `url` from the first test on.
 */
export function listeningEmulator(options: MetaEmulatorOptions = {}): { readonly emulator: MetaEmulator; readonly url: string } {
  const emulator = createMetaEmulator(options);
  let server: { url: string; close(): Promise<void> } | undefined;
  before(async () => {
    server = await emulator.listen(0, '127.0.0.1');
  });
  after(() => server?.close());
  return {
    emulator,
    get url() {
      if (!server) throw new Error('listeningEmulator: url read outside a test of its describe block');
      return server.url;
    },
  };
}
