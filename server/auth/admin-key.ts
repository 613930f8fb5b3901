import type { Storage } from '../../storage/index.js';
import { hashToken, newToken } from './tokens.js';

const SETTING = 'admin_key_sha256';

/**
 * The admin key's digest: from API_KEY when set, else the one generated on the
 * first start. A generated key is returned in clear exactly once, to be shown to
 * the operator; only its digest is stored.
 */
export function ensureAdminKey(storage: Storage, configured: string | undefined): { hash: string; generated?: string } {
  if (configured) return { hash: hashToken(configured) };
  const stored = storage.settings.get(SETTING);
  if (stored) return { hash: stored };
  const generated = newToken();
  storage.settings.set(SETTING, hashToken(generated));
  return { hash: hashToken(generated), generated };
}
