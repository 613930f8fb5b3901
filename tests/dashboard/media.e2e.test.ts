import { createHash, randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, type EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { requireTestCa } from '../helpers/media-ca.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5561980000001';
const ANA = '5561980000010';
let sim: WhatsAppSimulator;
let hub: TestHub;
let io: EventClient;
let browser: Browser;
let page: Page;
const external: string[] = [];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A real 8×6 PNG, so the browser can decode it and give it a size. */
function png(): Buffer {
  const image = new PNG({ width: 8, height: 6 });
  for (let i = 0; i < image.data.length; i += 4) image.data.set([200, 30, 90, 255], i);
  return PNG.sync.write(image);
}

beforeAll(async () => {
  requireTestCa();
  sim = await startSimulator({ receiptDelayMs: 50 });
  sim.createAccount({ phone: PHONE, pushName: 'Shop', contacts: [{ phone: ANA, pushName: 'Ana' }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ client: io } = await pairInstance(hub, sim, 'shop', PHONE));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('request', req => {
    const url = req.url();
    if (!url.startsWith(hub.url) && !url.startsWith(hub.url.replace(/^http/, 'ws')) && !url.startsWith('data:') && !url.startsWith('blob:')) external.push(url);
  });
  await page.goto(hub.url);
  await page.fill('#key', ADMIN_KEY);
  await page.click('#login-form button');
  await page.waitForSelector('#instances li[data-instance="shop"] .badge.open', { timeout: 20_000 });
  await page.click('#instances li[data-instance="shop"] button');
}, 90_000);
afterAll(async () => {
  io?.close();
  await browser?.close();
  await hub?.close();
  await sim?.stop();
});

test('a received image and sticker show inline in the event stream and the chat, a voice note and a video as players, a document as a link', async () => {
  const image = png();
  const { messageId: imageId } = await sim.sendMedia(PHONE, ANA, { type: 'image', base64: image.toString('base64'), mimetype: 'image/png', caption: 'look' });
  // The event stream: the image decoded by the browser from its signed URL.
  const streamed = page.locator(`#events li:has-text("${imageId}") .media img`);
  await streamed.waitFor({ timeout: 20_000 });
  await page.waitForFunction(id => {
    const img = [...document.querySelectorAll('#events li')].find(li => li.textContent?.includes(id))?.querySelector('.media img') as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth === 8 && img.naturalHeight === 6;
  }, imageId);

  const { messageId: stickerId } = await sim.sendMedia(PHONE, ANA, { type: 'sticker', base64: image.toString('base64'), mimetype: 'image/png' });
  const { messageId: voiceId } = await sim.sendMedia(PHONE, ANA, { type: 'audio', base64: randomBytes(2000).toString('base64'), mimetype: 'audio/ogg; codecs=opus', ptt: true });
  const { messageId: videoId } = await sim.sendMedia(PHONE, ANA, { type: 'video', base64: randomBytes(3000).toString('base64'), mimetype: 'video/mp4' });
  const { messageId: docId } = await sim.sendMedia(PHONE, ANA, { type: 'document', base64: randomBytes(500).toString('base64'), mimetype: 'application/pdf', fileName: 'menu.pdf' });
  await io.waitFor('new.message', e => e.data.header.messageId === docId);

  await page.click('[data-tab="chats"]');
  await page.click(`#chats li button:has-text("${ANA}")`);
  const bubble = (id: string) => page.locator(`#messages li[data-id="${id}"]`);
  await bubble(docId).locator('.media a').waitFor({ timeout: 20_000 });
  await page.waitForFunction(ids => ids.every(id => {
    const img = document.querySelector(`#messages li[data-id="${id}"] .media img`) as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth === 8;
  }), [imageId, stickerId]);
  expect(await bubble(imageId).textContent()).toContain('look');
  expect(await bubble(voiceId).locator('.media audio[controls]').count()).toBe(1);
  expect(await bubble(videoId).locator('.media video[controls]').count()).toBe(1);
  const link = bubble(docId).locator('.media a');
  expect(await link.getAttribute('download')).toBe('menu.pdf');
  // The link's signed URL serves the document's bytes without the key.
  const href = (await link.getAttribute('href'))!;
  expect(href).toMatch(new RegExp(`^/media/shop/${docId}\\?expires=\\d+&sig=[0-9a-f]{64}$`));
  const res = await fetch(`${hub.url}${href}`);
  expect(res.status).toBe(200);
  expect((await res.arrayBuffer()).byteLength).toBe(500);
}, 90_000);

test('a file attached in the chat is sent as media with the text as its caption, and shows in the chat', async () => {
  const bytes = randomBytes(40_000);
  await page.setInputFiles('#send-file', { name: 'offer.pdf', mimeType: 'application/pdf', buffer: bytes });
  await page.fill('#send-text', 'our offer');
  await page.click('#send-form button');
  await waitUntil(() => sim.outbox(PHONE).some(o => o.media?.sha256 === sha256(bytes)), 20_000);
  const out = sim.outbox(PHONE).find(o => o.media?.sha256 === sha256(bytes))!;
  expect(out.media).toMatchObject({ type: 'document', fileName: 'offer.pdf', caption: 'our offer', mimetype: 'application/pdf', fileLength: bytes.length });
  await page.locator(`#messages li[data-id="${out.id}"] .media a`).waitFor({ timeout: 20_000 });
  expect(await page.inputValue('#send-text')).toBe('');

  const image = png();
  await page.setInputFiles('#send-file', { name: 'dot.png', mimeType: 'image/png', buffer: image });
  await page.click('#send-form button');
  await waitUntil(() => sim.outbox(PHONE).some(o => o.media?.sha256 === sha256(image)), 20_000);
  const sent = sim.outbox(PHONE).find(o => o.media?.sha256 === sha256(image))!;
  expect(sent.media).toMatchObject({ type: 'image', mimetype: 'image/png' });
  await page.waitForFunction(id => {
    const img = document.querySelector(`#messages li[data-id="${id}"] .media img`) as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth === 8;
  }, sent.id);
}, 60_000);

test('the page made no request beyond the hub', () => {
  expect(external).toEqual([]);
});
