import { listeningForSuite } from '../sdk/test-listening.ts';
import { createMetaEmulator, type MetaEmulator, type MetaEmulatorOptions } from './emulator/index.ts';

/**
 * Our Graph emulator on 127.0.0.1 for the enclosing describe block (call it there), so connector
 * test files share one start and stop. Made at once (it opens no port); `url` from the first test on.
 */
export function listeningEmulator(options: MetaEmulatorOptions = {}): { readonly emulator: MetaEmulator; readonly url: string } {
  const emulator = createMetaEmulator(options);
  return Object.assign(listeningForSuite(() => emulator.listen(0, '127.0.0.1')), { emulator });
}
