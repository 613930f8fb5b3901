import { Curve } from '@whiskeysockets/baileys';
import { cacheCertificateChecks } from '../../../server/instances/certificate-check-cache.js';

const real = Curve.verify.bind(Curve);
let checks = 0;
// Counted underneath the cache: only the checks the cache lets through reach it.
Curve.verify = (pubKey, message, signature) => {
  checks++;
  return real(pubKey, message, signature);
};
cacheCertificateChecks();

const signer = Curve.generateKeyPair();
const details = Buffer.from('noise certificate details');
const signature = Curve.sign(signer.private, details);

test('the same certificate is checked once, and answered as the check answered it', () => {
  const first = Curve.verify(signer.public, details, signature);
  const again = Curve.verify(signer.public, Buffer.from(details), Buffer.from(signature));
  expect(again).toBe(first);
  expect(checks).toBe(1);
});

test('other bytes are checked again, with their own verdict', () => {
  const before = checks;
  const tampered = Buffer.from('noise certificate detailz');
  const expected = real(signer.public, tampered, signature);
  expect(Curve.verify(signer.public, tampered, signature)).toBe(expected);
  expect(checks).toBe(before + 1);
  expect(Curve.verify(signer.public, tampered, signature)).toBe(expected);
  expect(checks).toBe(before + 1);
});
