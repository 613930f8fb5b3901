import { Type, type Static } from 'typebox';
import { InstanceName } from './common.js';

/** `http://user:pass@host:port`, `https://…` or `socks5://…`; the hub checks the rest when it is set. */
export const ProxyUrl = Type.String({ minLength: 10, maxLength: 2048, pattern: '^(https?|socks5h?|socks4a?)://\\S+$', description: 'proxy URL' });

/** An instance's settings as `settings.find` and `instance.settings` answer them: every field, defaults included. */
export const InstanceSettings = Type.Object({
  /** Calls offered to the account are rejected at once (each still emits `call`). */
  rejectCalls: Type.Boolean(),
  /** With `rejectCalls`, a text sent to the caller after the reject; null sends nothing. */
  rejectMessage: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
  /** Group messages and group chat, presence and receipt events are dropped: neither stored nor emitted. */
  ignoreGroups: Type.Boolean(),
  /** Statuses (`status@broadcast`) are dropped: no `status.broadcast`, nothing stored. */
  ignoreStatus: Type.Boolean(),
  /** The account shows as online while connected (presence `available`); off, it shows as offline. */
  alwaysOnline: Type.Boolean(),
  /** Inbound messages are marked read (blue ticks for the sender) as soon as they are stored. */
  readMessages: Type.Boolean(),
  /** At pairing, ask the phone for the full history instead of the recent one; its chunks arrive as `messages.set`. */
  syncFullHistory: Type.Boolean(),
  /** The proxy the instance's WhatsApp connection and media go through; answered with its password masked. */
  proxy: Type.Union([ProxyUrl, Type.Null()])
});
export type InstanceSettings = Static<typeof InstanceSettings>;

/** What an instance has until its settings are set. */
export const DEFAULT_SETTINGS: InstanceSettings = {
  rejectCalls: false,
  rejectMessage: null,
  ignoreGroups: false,
  ignoreStatus: false,
  alwaysOnline: false,
  readMessages: false,
  syncFullHistory: false,
  proxy: null
};

/** Every field optional: `instance.settings` changes only what it names; an unknown one is refused. */
const SettingsPatch = Type.Partial(InstanceSettings);

/** Per-instance settings. */
export const SettingsCommandSchemas = {
  /** Changes some of the instance's settings; applied live where WhatsApp allows, answers all of them. */
  'instance.settings': {
    args: Type.Object({ instance: InstanceName, ...SettingsPatch.properties }, { additionalProperties: false }),
    result: InstanceSettings
  },
  /** The instance's settings, defaults included. */
  'settings.find': { args: Type.Object({ instance: InstanceName }, { additionalProperties: false }), result: InstanceSettings }
} as const;
