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

/** A written stanza waiting for its ack. `answer` never rejects: a transient failure is its value. */
export interface PendingAck {
  answer: Promise<SendOutcome | TransientSendError>;
}

/**
 * Writes one message and watches for WhatsApp's server ack of its stanza;
 * resolves once the stanza is written, so the caller can write the next one
 * while this one waits for its answer.
 *
 * Baileys' sendMessage resolves as soon as the stanza is written, before
 * WhatsApp has said anything. WhatsApp answers every message stanza with
 * `<ack class="message" id=…>`; a refusal is the same ack with `error="<code>"`
 * (e.g. 463 account restricted, 479 invalid stanza), which Baileys only turns
 * into a `messages.update` with status ERROR. So the ack is the one place where
 * "taken" and "refused" can be told apart, and its absence is the timeout.
 */
export async function sendWatched(sock: WASocket, jid: string, content: AnyMessageContent, messageId: string, timeoutMs: number): Promise<PendingAck> {
  let settle!: (outcome: SendOutcome | TransientSendError) => void;
  const answered = new Promise<SendOutcome | TransientSendError>(resolve => (settle = resolve));
  const onAck = (node: BinaryNode) => {
    if (node.attrs.id !== messageId) return;
    const code = Number(node.attrs.error);
    settle(node.attrs.error !== undefined && Number.isInteger(code) ? { kind: 'refused', code } : { kind: 'accepted' });
  };
  // A close during the write is the write's failure (nothing was taken for sure); after it, the answer's.
  let written = false;
  let closedEarly: TransientSendError | undefined;
  const onConnection = (update: { connection?: string }) => {
    if (update.connection !== 'close') return;
    const closed = new TransientSendError('connection', true, 'the connection closed before WhatsApp answered');
    if (written) settle(closed);
    else closedEarly = closed;
  };
  // Listening before the write: the ack can be handled before sendMessage's own continuation runs.
  sock.ws.on('CB:ack,class:message', onAck);
  sock.ev.on('connection.update', onConnection);
  let timer: NodeJS.Timeout | undefined;
  const answer = answered.finally(() => {
    clearTimeout(timer);
    sock.ws.off('CB:ack,class:message', onAck);
    sock.ev.off('connection.update', onConnection);
  });
  try {
    await sock.sendMessage(jid, content, { messageId });
  } catch (err) {
    settle(new TransientSendError('connection', false, `the message could not be written: ${(err as Error).message}`));
    return { answer };
  }
  written = true;
  if (closedEarly) settle(closedEarly);
  else timer = setTimeout(() => settle(new TransientSendError('timeout', true, `no answer from WhatsApp in ${timeoutMs} ms`)), timeoutMs);
  return { answer };
}
