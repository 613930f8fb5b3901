import { Curve, proto, type KeyPair } from '@whiskeysockets/baileys';
import { SIM_ROOT_PRIVATE_KEY } from './root-key.js';

/**
 * Builds root → intermediate → leaf, each properly signed, so the chain passes
 * Baileys' check even if its always-true signature verification is ever fixed.
 * `issuerSerial` must be set to 0 explicitly: the protobuf default is null and
 * Baileys compares it with `!==`.
 */
export function buildCertChain(serverStatic: KeyPair): Uint8Array {
  const intermediateKey = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediateKey.public,
    notBefore: now - 3600,
    notAfter: now + 365 * 24 * 3600
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 3600,
    notAfter: now + 30 * 24 * 3600
  }).finish();
  return proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: Curve.sign(SIM_ROOT_PRIVATE_KEY, intermediateDetails)
    },
    leaf: {
      details: leafDetails,
      signature: Curve.sign(intermediateKey.private, leafDetails)
    }
  }).finish();
}
