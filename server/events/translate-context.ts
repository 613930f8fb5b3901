import type { Storage } from '../../storage/index.js';
import type { LidLookup } from './jids.js';

/** What one translation needs: where to write, and the answers gathered before it (translating itself is synchronous). */
export interface TranslateContext {
  instanceId: string;
  instanceName: string;
  storage: Storage;
  lookup: LidLookup;
  /**
   * The URL of each contact whose profile picture changed, fetched before the
   * translation by the contact ID as Baileys gave it; null when it has none.
   */
  pictures: ReadonlyMap<string, string | null>;
}
