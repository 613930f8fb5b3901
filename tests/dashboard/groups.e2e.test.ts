import { chromium, type Browser, type Page } from 'playwright-core';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, type EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5561960000001';
const ANA = '5561960000010';
const BRUNO = '5561960000011';
const CARLA = '5561960000012';
const pn = (phone: string) => `${phone}@s.whatsapp.net`;
// The committed screenshots change only on purpose; otherwise they go to a folder that is removed.
const scratch = process.env.UPDATE_SCREENSHOTS === '1' ? undefined : tempDir('wahub-shots-');
const SHOTS = scratch?.path ?? 'docs/screenshots';

let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  sim.createAccount({
    phone: PHONE,
    pushName: 'Shop',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno' },
      { phone: CARLA, pushName: 'Carla' }
    ]
  });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  client = (await pairInstance(hub, sim, 'shop', PHONE)).client;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(hub.url);
  await page.fill('#key', ADMIN_KEY);
  await page.click('#login-form button');
  await page.click('#instances li[data-instance="shop"] button');
  await page.click('[role="tab"][data-tab="groups"]');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  client?.close();
  await hub?.close();
  await sim?.stop();
  scratch?.cleanup();
});

const member = (gid: string, phone: string) => `#groups li[data-group="${gid}"] li[data-member="${pn(phone)}"]`;

test('a group a contact creates appears live with its members and roles', async () => {
  const { id } = await sim.createGroup(PHONE, { subject: 'Ana’s club', participants: [BRUNO], by: ANA });
  await page.waitForSelector(`#groups li[data-group="${id}"]`);
  expect(await page.textContent(`#groups li[data-group="${id}"] strong`)).toBe('Ana’s club');
  expect(await page.getAttribute(member(id, ANA), 'data-role')).toBe('superadmin');
  expect(await page.getAttribute(member(id, BRUNO), 'data-role')).toBe('member');
  expect(await page.getAttribute(member(id, PHONE), 'data-role')).toBe('member');

  // Ana promotes Bruno on her phone: the page follows the event.
  await sim.groupParticipants(PHONE, id, { action: 'promote', participants: [BRUNO], by: ANA });
  await page.waitForSelector(`${member(id, BRUNO)}[data-role="admin"]`);
});

test('create a group from the page, then send to it: every member reads the message', async () => {
  await page.fill('#group-subject', 'Shop team');
  await page.fill('#group-members', `${ANA}\n${CARLA}`);
  await page.click('#group-form button');
  await page.waitForSelector('#groups li[aria-current="true"]');
  const gid = (await page.getAttribute('#groups li[aria-current="true"]', 'data-group'))!;
  expect(sim.group(PHONE, gid)).toMatchObject({ subject: 'Shop team' });
  expect(sim.group(PHONE, gid).participants.map(p => p.phone).sort()).toEqual([ANA, CARLA, PHONE].sort());
  expect(await page.getAttribute(member(gid, PHONE), 'data-role')).toBe('superadmin');

  await page.fill('#group-text', 'hello team');
  await page.click('#group-send-form button');
  await waitUntil(() => sim.outbox(PHONE).some(e => e.group === gid && e.text === 'hello team'), 15_000);
  const entry = sim.outbox(PHONE).find(e => e.group === gid && e.text === 'hello team')!;
  expect([...entry.participants!].sort()).toEqual([ANA, CARLA].sort());
  await page.screenshot({ path: `${SHOTS}/groups.png` });
});
