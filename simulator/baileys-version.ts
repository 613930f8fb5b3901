import { DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';

/** The WhatsApp Web version baked into the pinned Baileys release. */
export const BAILEYS_VERSION: readonly [number, number, number] = DEFAULT_CONNECTION_CONFIG.version;
