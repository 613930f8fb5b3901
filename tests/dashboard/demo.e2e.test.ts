import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawnTs, type Spawned } from '../helpers/processes.js';

const CONTACT = '5511900000002';
const WITHIN_MS = 30_000;
let demo: Spawned;
let startedAt: number;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  startedAt = Date.now();
  demo = await spawnTs('simulator/demo.ts', { DEMO_PORT: '0' }, 'API_KEY', WITHIN_MS);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

const left = () => Math.max(1, WITHIN_MS - (Date.now() - startedAt));

test('npm run demo: within 30 s of start the dashboard shows the QR, the simulated phone scans it and a contact message arrives', async () => {
  expect(demo.stdout()).toContain(`Dashboard:  ${demo.vars.WAHUB_URL}/`);
  await page.goto(`${demo.vars.WAHUB_URL}/`);
  await page.fill('#key', demo.vars.API_KEY!);
  await page.click('#login-form button');
  await page.click('#instances li[data-instance="demo"] button', { timeout: left() });
  await page.click('[data-action="connect"]', { timeout: left() });
  // Nobody scans in this test: the demo's phone does, after it has been on screen a moment.
  await page.waitForSelector('#pairing:not([hidden]) #qr[src^="data:image/png"]', { timeout: left() });
  await page.waitForSelector('#instances li[data-instance="demo"] .badge.open', { timeout: left() });
  await page.waitForSelector('#events li[data-event="new.message"]', { timeout: left() });
  expect(Date.now() - startedAt).toBeLessThan(WITHIN_MS);
}, 60_000);

test('the simulated contact answers what is sent to them from the dashboard', async () => {
  await page.click('[data-tab="chats"]');
  await page.click(`#chats button:has-text("${CONTACT}")`, { timeout: 10_000 });
  await page.fill('#send-text', 'hello demo');
  await page.click('#send-form button');
  await page.waitForSelector('#messages li:has-text("me: hello demo")', { timeout: 10_000 });
  await page.waitForSelector('#messages li:has-text(\'You said: "hello demo"\')', { timeout: 15_000 });
}, 30_000);

test('stopping the demo removes its data directory', async () => {
  const dir = /Data is kept in (\S+) until/.exec(demo.stdout())?.[1];
  expect(dir).toBeDefined();
  expect(existsSync(dir!)).toBe(true);
  await demo.stop('SIGINT');
  // On a failed stop, what the demo printed says why.
  expect({ exitCode: demo.child.exitCode, output: demo.child.exitCode === 0 ? '' : `${demo.stderr()}\n${demo.stdout().slice(-3000)}` }).toEqual({ exitCode: 0, output: '' });
  expect(existsSync(dir!)).toBe(false);
}, 20_000);
