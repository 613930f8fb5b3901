import { join } from 'node:path';
import { createStorage } from '../../../storage/index.js';
import type { TranslateContext } from '../../../server/events/translate.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A translation context on a real, empty SQLite store with one instance; no network. */
export function translateContext(opts: { lookup?: Record<string, string>; pictures?: Record<string, string | null> } = {}): TranslateContext & { cleanup(): void } {
  const dir = tempDir('wahub-translate-');
  const storage = createStorage(join(dir.path, 'hub.sqlite'));
  const row = storage.instances.create({ id: 'inst-1', name: 'codechat', token_hash: 'hash', state: 'open' });
  return {
    instanceId: row.id,
    instanceName: row.name,
    storage,
    lookup: new Map(Object.entries(opts.lookup ?? {})),
    pictures: new Map(Object.entries(opts.pictures ?? {})),
    cleanup: () => {
      storage.close();
      dir.cleanup();
    }
  };
}
