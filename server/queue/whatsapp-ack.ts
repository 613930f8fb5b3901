import type { AnyMessageContent, BinaryNode, WASocket } from '@whiskeysockets/baileys';

/** WhatsApp's answer to one message stanza. */
export type SendOutcome = { kind: 'accepted' } | { kind: 'refused'; code: number };

/**
 * A send that may go through if tried again: no answer in time, or the connection
 * went away. `uncertain`: the stanza was written, so WhatsApp may have it.
 */
export class TransientSendError extends Error {
  constructor(
    readonly reason: 'timeout' | 'connection',
    readonly uncertain: boolean,
    message: string
  ) {
    super(message);
  }
}

/** Names of the refusal codes WhatsApp is known to put in an error ack (Baileys' SERVER_ERROR_CODES and NACK_REASONS). */
const REFUSALS: Record<number, string> = {
  463: 'Account Restricted',
  479: 'Invalid Stanza'
};
export const refusalName = (code: number): string => REFUSALS[code] ?? 'Refused';

/**
 * Sends one message and waits for WhatsApp's server ack of its stanza.
 *
 * Baileys' sendMessage resolves as soon as the stanza is written, before
 * WhatsApp has said anything. WhatsApp answers every message stanza with
 * `<ack class="message" id=…>`; a refusal is the same ack with `error="<code>"`
 * (e.g. 463 account restricted, 479 invalid stanza), which Baileys only turns
 * into a `messages.update` with status ERROR. So the ack is the one place where
 * "taken" and "refused" can be told apart, and its absence is the timeout.
 */
export async function sendAndConfirm(sock: WASocket, jid: string, content: AnyMessageContent, messageId: string, timeoutMs: number): Promise<SendOutcome> {
  let settle: ((outcome: SendOutcome | TransientSendError) => void) | undefined;
  const answered = new Promise<SendOutcome | TransientSendError>(resolve => (settle = resolve));
  const onAck = (node: BinaryNode) => {
    if (node.attrs.id !== messageId) return;
    const code = Number(node.attrs.error);
    settle?.(node.attrs.error !== undefined && Number.isInteger(code) ? { kind: 'refused', code } : { kind: 'accepted' });
  };
  const onConnection = (update: { connection?: string }) => {
    if (update.connection === 'close') settle?.(new TransientSendError('connection', true, 'the connection closed before WhatsApp answered'));
  };
  // Listening before the write: the ack can be handled before sendMessage's own continuation runs.
  sock.ws.on('CB:ack,class:message', onAck);
  sock.ev.on('connection.update', onConnection);
  let timer: NodeJS.Timeout | undefined;
  try {
    await sock.sendMessage(jid, content, { messageId }).catch((err: Error) => {
      throw new TransientSendError('connection', false, `the message could not be written: ${err.message}`);
    });
    timer = setTimeout(() => settle?.(new TransientSendError('timeout', true, `no answer from WhatsApp in ${timeoutMs} ms`)), timeoutMs);
    const outcome = await answered;
    if (outcome instanceof TransientSendError) throw outcome;
    return outcome;
  } finally {
    clearTimeout(timer);
    sock.ws.off('CB:ack,class:message', onAck);
    sock.ev.off('connection.update', onConnection);
  }
}
