import { isPrivateAddress, refuseWebhookUrl } from '../../../server/webhooks/address-check.js';

test.each(['127.0.0.1', '127.9.9.9', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])(
  '%s is inside',
  address => expect(isPrivateAddress(address)).toBe(true)
);

test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', address => {
  expect(isPrivateAddress(address)).toBe(false);
});

test('a URL is refused for its form whatever the address rule, and for its host only without allowPrivate', async () => {
  expect(await refuseWebhookUrl('not a url', true)).toMatch(/not a valid URL/);
  expect(await refuseWebhookUrl('ftp://example.com/', true)).toMatch(/http or https/);
  expect(await refuseWebhookUrl('https://u:p@example.com/', true)).toMatch(/credentials/);
  expect(await refuseWebhookUrl('http://127.0.0.1:8080/hook', true)).toBeUndefined();
  expect(await refuseWebhookUrl('http://127.0.0.1:8080/hook', false)).toMatch(/private/);
  expect(await refuseWebhookUrl('http://localhost/hook', false)).toMatch(/private/);
  expect(await refuseWebhookUrl('http://[fe80::1]/hook', false)).toMatch(/private/);
  expect(await refuseWebhookUrl('https://93.184.216.34/hook', false)).toBeUndefined();
  expect(await refuseWebhookUrl('http://no-such-host.invalid/hook', false)).toMatch(/does not resolve/);
});
