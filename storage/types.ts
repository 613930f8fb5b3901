/** An instance's primary key: a UUID given at creation. Seqs, keys and messages hang off it, never off the name. */
export type InstanceId = string;

/** A WhatsApp JID as stored: the phone-number JID when known, else the `…@lid`, a group `…@g.us` or `status@broadcast`. */
export type Jid = string;

/** A WhatsApp message ID; unique only together with its chat and direction (`fromMe`), as in Baileys' message key. */
export type MessageId = string;
