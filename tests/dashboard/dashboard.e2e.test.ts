import { chromium, type Browser, type Page } from 'playwright-core';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, decodeQrDataUrl, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const PHONE = '5561990000001';
const ANA = '5561990000010';
// The committed screenshots change only on purpose; otherwise they go to a folder that is removed.
const scratch = process.env.UPDATE_SCREENSHOTS === '1' ? undefined : tempDir('wahub-shots-');
const SHOTS = scratch?.path ?? 'docs/screenshots';
let sim: WhatsAppSimulator;
let hub: TestHub;
let browser: Browser;
let page: Page;
const external: string[] = [];
let hubClosed = false;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, pushName: 'Shop', contacts: [{ phone: ANA, pushName: 'Ana' }], history: { messages: [{ chat: ANA, text: 'hello from the past' }] } });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0', WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_BACKOFF_BASE_MS: '20' } });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  // The page must make no request beyond the hub.
  page.on('request', req => {
    const url = req.url();
    if (!url.startsWith(hub.url) && !url.startsWith(hub.url.replace(/^http/, 'ws')) && !url.startsWith('data:')) external.push(url);
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (!hubClosed) await hub.close();
  await sim.stop();
  scratch?.cleanup();
});

const seqsOnPage = () => page.evaluate(() => (window as unknown as { wahub: { events: { seq: number; instance: { name: string } }[] } }).wahub.events.map(e => e.seq));

test('a wrong key is refused on the page', async () => {
  await page.goto(hub.url);
  await page.fill('#key', 'not-the-key');
  await page.press('#key', 'Enter'); // the keyboard alone submits the form
  await page.waitForSelector('#status.error');
  expect(await page.textContent('#status')).toBe('Invalid API key');
  expect(await page.isVisible('#app')).toBe(false);
});

test('the whole path: key, instance, live QR scanned, open, inbound message, bulk send with pause and resume, no event lost on a forced disconnect', async () => {
  await page.goto(hub.url);
  await page.fill('#key', ADMIN_KEY);
  await page.screenshot({ path: `${SHOTS}/login.png` });
  await page.click('#login-form button');
  await page.waitForSelector('#app:not([hidden])');
  expect(await page.evaluate(() => document.documentElement.outerHTML.includes('test-admin-key'))).toBe(false);

  await page.fill('#new-name', 'shop');
  await page.click('#create-form button');
  await page.waitForSelector('#instances li[data-instance="shop"]');
  await page.click('[data-action="connect"]');
  await page.waitForSelector('#pairing:not([hidden]) #qr[src^="data:image/png"]');
  const src = (await page.getAttribute('#qr', 'src'))!;
  const code = decodeQrDataUrl(src)!;
  expect(code).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
  expect(await page.textContent('#qr-countdown')).toMatch(/Next code in \d+ s/);
  await page.screenshot({ path: `${SHOTS}/pairing.png` });

  await sim.scan(PHONE, code);
  await page.waitForSelector('#instances li[data-instance="shop"] .badge.open', { timeout: 20_000 });
  expect(await page.isHidden('#pairing')).toBe(true);

  const { messageId } = await sim.sendText(PHONE, ANA, 'hello from Ana');
  await page.waitForSelector('#events li[data-event="new.message"]');
  expect(await page.textContent('#events')).toContain(messageId);
  await page.screenshot({ path: `${SHOTS}/events.png` });

  await page.click('[data-tab="chats"]');
  await page.waitForSelector(`#chats button:has-text("${ANA}")`);
  await page.click(`#chats button:has-text("${ANA}")`);
  await page.waitForSelector('#messages li:has-text("hello from Ana")');
  await page.fill('#send-text', 'hi Ana, from the dashboard');
  await page.click('#send-form button');
  await waitUntil(() => sim.outbox(PHONE).some(o => o.text === 'hi Ana, from the dashboard'), 10_000);
  // The page shows its own send from the new.message the hub reports for it (fromMe).
  await page.waitForSelector('#messages li:has-text("me: hi Ana, from the dashboard")');
  expect(await page.locator('#messages li:has-text("hi Ana, from the dashboard")').count()).toBe(1);
  await sim.editText(PHONE, ANA, messageId, 'hello from Ana, edited');
  await page.waitForSelector('#messages li:has-text("Ana: hello from Ana, edited (edited)")');
  await page.screenshot({ path: `${SHOTS}/chats.png` });

  await page.click('[data-tab="queues"]');
  await page.fill('#queue-numbers', ['5561990000101', '5561990000102', '5561990000103'].join('\n'));
  await page.fill('#queue-text', 'bulk from the page');
  // Sends far enough apart that the click on Pause lands before the next one, even on a busy machine.
  await page.fill('#queue-min', '1500');
  await page.fill('#queue-max', '1500');
  await page.click('#queue-form button');
  const queue = '#queues li';
  await page.waitForSelector(`${queue}[data-progress="33"]`, { timeout: 20_000 });
  await page.click(`${queue} button:has-text("Pause")`);
  await page.waitForSelector(`${queue}[data-state="paused"]`, { timeout: 10_000 });
  const sentAtPause = sim.outbox(PHONE).filter(o => o.text === 'bulk from the page').length;
  await page.waitForTimeout(1200);
  expect(sim.outbox(PHONE).filter(o => o.text === 'bulk from the page')).toHaveLength(sentAtPause);
  await page.click(`${queue} button:has-text("Resume")`);
  await page.waitForSelector(`${queue}[data-progress="100"]`, { timeout: 20_000 });
  expect(await page.getAttribute(`${queue} progress`, 'value')).toBe('100');
  await page.screenshot({ path: `${SHOTS}/queues.png` });

  // A forced disconnect of the page's socket: events sent meanwhile arrive after the reconnect, once each.
  const before = await seqsOnPage();
  await page.evaluate(() => (window as unknown as { wahub: { socket: { io: { engine: { close(): void } } } } }).wahub.socket.io.engine.close());
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await sim.sendText(PHONE, ANA, `while the page was away ${i}`)).messageId);
  await page.click('[data-tab="events"]');
  await page.waitForSelector(`#events li:has-text("${ids[2]}")`, { timeout: 20_000 });
  const seqs = (await seqsOnPage()).filter(s => s > before.at(-1)!);
  expect(new Set(seqs).size).toBe(seqs.length);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
  for (const id of ids) expect(await page.locator(`#events li:has-text("${id}")`).count()).toBe(1);

  // The stream filters by event name, expands an event to its JSON, and can be paused.
  await page.selectOption('#event-filter', 'new.message');
  const shown = await page.locator('#events li').evaluateAll(items => items.map(i => (i as HTMLElement).dataset.event));
  expect(shown.length).toBeGreaterThan(0);
  expect(new Set(shown)).toEqual(new Set(['new.message']));
  await page.click('#events li:first-child summary');
  const json = JSON.parse((await page.textContent('#events li:first-child pre'))!);
  expect(json).toMatchObject({ event: 'new.message', instance: { name: 'shop' }, seq: expect.any(Number) });
  await page.check('#events-pause');
  const count = await page.locator('#events li').count();
  const { messageId: quiet } = await sim.sendText(PHONE, ANA, 'while paused');
  await page.waitForTimeout(800);
  expect(await page.locator('#events li').count()).toBe(count);
  expect(await page.evaluate(id => (window as unknown as { wahub: { events: { data: { header?: { messageId: string } } }[] } }).wahub.events.some(e => e.data.header?.messageId === id), quiet)).toBe(true);
  await page.uncheck('#events-pause');
  await page.selectOption('#event-filter', '');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/phone.png`, fullPage: false });
}, 120_000);

test('pairing by code from the page, then deleting the instance', async () => {
  const phone = '5561990000002';
  sim.createAccount({ phone });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.fill('#new-name', 'coded');
  await page.click('#create-form button');
  await page.waitForSelector('#instances li[data-instance="coded"]');
  await page.click('[data-action="connect"]');
  await page.waitForSelector('#pairing:not([hidden])');
  await page.fill('#code-number', phone);
  await page.click('#code-form button');
  await page.waitForSelector('#pairing-code:has-text("Type this code")');
  const code = (await page.textContent('#pairing-code'))!.split(': ')[1]!;
  await sim.enterPairingCode(phone, code);
  await page.waitForSelector('#instances li[data-instance="coded"] .badge.open', { timeout: 20_000 });
  await page.click('[data-action="delete"]');
  await page.waitForSelector('#instances li[data-instance="coded"]', { state: 'detached' });
  expect((await hub.request('GET', '/instance/connectionState/coded')).status).toBe(404);
}, 60_000);

test('a bulk send lists its errors per number', async () => {
  const ghost = '5561990000999';
  sim.account(PHONE).addContact({ phone: ghost, onWhatsApp: false });
  await page.click('#instances li[data-instance="shop"] button');
  await page.click('[data-tab="queues"]');
  await page.fill('#queue-numbers', `${ghost}\n5561990000104`);
  await page.fill('#queue-text', 'with an error');
  await page.fill('#queue-min', '50');
  await page.fill('#queue-max', '50');
  await page.click('#queue-form button');
  await page.waitForSelector(`#queues li[data-progress="100"] .errors li:has-text("${ghost}")`, { timeout: 20_000 });
  expect(await page.textContent(`#queues li[data-progress="100"] .errors`)).toContain('not a valid whatsapp contact');
}, 60_000);

test('the Webhooks tab adds a webhook, shows its secret once, its dead letters, and redelivers them', async () => {
  const receiver = await new WebhookReceiver().start();
  try {
    receiver.answer = () => ({ status: 500 });
    await page.click('#instances li[data-instance="shop"] button');
    await page.click('[data-tab="webhooks"]');
    await page.fill('#webhook-url', receiver.url);
    await page.fill('#webhook-events', 'new.message');
    await page.click('#webhook-form button');
    await page.waitForSelector('#webhook-secret:has-text("whsec_")');
    receiver.secret = (await page.textContent('#webhook-secret'))!.split(': ')[1]!;
    await page.waitForSelector('#webhooks li[data-status="ok"]');

    const { messageId } = await sim.sendText(PHONE, ANA, 'to a failing webhook');
    await page.waitForSelector('#webhooks li[data-status="failing"] .errors li:has-text("HTTP 500 after 2 attempts")', { timeout: 20_000 });
    receiver.answer = () => ({ status: 200 });
    await page.click('#webhooks li[data-status="failing"] button:has-text("Redeliver")');
    await page.waitForSelector('#webhooks li[data-status="ok"]', { timeout: 20_000 });
    await waitUntil(() => receiver.acknowledged().some(p => p.envelope.event === 'new.message' && p.envelope.data.header.messageId === messageId), 10_000);
    expect(receiver.problems).toEqual([]);
    await page.click('#webhooks li button:has-text("Delete")');
    await page.waitForSelector('#webhooks li', { state: 'detached' });
  } finally {
    await receiver.stop();
  }
}, 60_000);

test('when the hub goes away the page says so', async () => {
  hubClosed = true;
  await hub.close();
  await page.waitForSelector('#status.error', { timeout: 20_000 });
  expect(await page.textContent('#status')).toMatch(/Connection lost|unreachable/);
}, 60_000);

test('the page made no request beyond the hub', () => {
  expect(external).toEqual([]);
});
