import { jidDecode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { connect, type WahubClient } from '../protocol/client.js';
import type { EventEnvelope } from '../protocol/index.js';
import type { WhatsAppSimulator } from './simulator.js';

export interface DemoPhoneOptions {
  hubUrl: string;
  adminKey: string;
  instance: string;
  /** The simulated account's number, which scans the QR. */
  phone: string;
  /** The simulated contact who writes and answers. */
  contact: string;
  /** How long the "person" takes to pick up the phone and scan a QR shown in the dashboard. */
  scanDelayMs: number;
  /** How often the contact writes on their own once the account is linked. */
  chatEveryMs: number;
  logger: Logger;
}

const LINES = ['Hi! Is the shop open today?', 'Do you deliver on Saturdays?', 'Thanks, that helps.', 'Can I pay on delivery?', 'See you soon!'];

/** A plain text is a string; a text sent with a link preview or a quote is an `extendedTextMessage` with `text`. */
const textOf = (message: unknown): string | undefined =>
  typeof message === 'string' ? message : typeof (message as { text?: unknown } | null)?.text === 'string' ? (message as { text: string }).text : undefined;

/**
 * The people of the demo: the phone owner, who scans each QR the dashboard shows
 * after a few seconds, and a contact who writes every few seconds and answers
 * every message sent to them. They watch the hub through the typed client,
 * as any integration would.
 */
export class DemoPhone {
  private client: WahubClient | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private chatter: NodeJS.Timeout | undefined;
  private scanned = false;
  private line = 0;

  constructor(
    private readonly sim: WhatsAppSimulator,
    private readonly opts: DemoPhoneOptions
  ) {}

  async start(): Promise<void> {
    this.client = await connect({ url: this.opts.hubUrl, token: this.opts.adminKey });
    await this.client.subscribe(this.opts.instance, e => this.onEvent(e));
  }

  stop(): void {
    this.timers.forEach(clearTimeout);
    clearInterval(this.chatter);
    this.client?.close();
  }

  private later(ms: number, task: () => Promise<unknown>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task().catch(err => this.opts.logger.warn({ err }, 'demo phone action failed'));
    }, ms);
    this.timers.add(timer);
  }

  private onEvent(e: EventEnvelope): void {
    if (e.event === 'qrcode.updated' && !this.scanned) {
      const code = e.data.qrcode.code;
      // A code that rotated away meanwhile is refused by the simulator; the next one is scanned instead.
      this.later(this.opts.scanDelayMs, async () => {
        if (this.scanned) return;
        await this.sim.scan(this.opts.phone, code);
        this.scanned = true;
      });
    } else if (e.event === 'connection.update' && e.data.state === 'open') {
      this.startChatter();
    } else if (e.event === 'connection.update' && e.data.state === 'close') {
      clearInterval(this.chatter);
      this.chatter = undefined;
      // A logout or a deleted instance needs a new scan when the user presses Connect again.
      this.scanned = false;
    } else if (e.event === 'new.message' && e.data.header.fromMe && jidDecode(e.data.header.wuid)?.user === this.opts.contact) {
      const said = textOf(e.data.body.message) ?? e.data.body.messageType;
      this.later(1500, () => this.sim.sendText(this.opts.phone, this.opts.contact, `You said: "${said}" 👍`));
    }
  }

  private startChatter(): void {
    if (this.chatter) return;
    const write = () => this.sim.sendText(this.opts.phone, this.opts.contact, LINES[this.line++ % LINES.length]!);
    this.later(2000, write);
    this.chatter = setInterval(() => void write().catch(err => this.opts.logger.warn({ err }, 'demo contact could not write')), this.opts.chatEveryMs);
  }
}
