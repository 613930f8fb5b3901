import { Curve, proto, type KeyPair } from '@whiskeysockets/baileys';
import { SIM_ROOT_PRIVATE_KEY } from './root-key.js';

/** One chain per server static key, as WhatsApp's server presents the same certificate at every handshake. */
const chains = new WeakMap<KeyPair, Uint8Array>();

/**
 * Root → intermediate → leaf for the server's static key, built at its first
 * handshake and presented again at every later one, as WhatsApp does (a client
 * that checks the chain at each login sees the same bytes each time).
 */
export function buildCertChain(serverStatic: KeyPair): Uint8Array {
  let chain = chains.get(serverStatic);
  if (!chain) chains.set(serverStatic, (chain = signCertChain(serverStatic)));
  return chain;
}

/**
 * Builds root → intermediate → leaf, each properly signed, so the chain passes
 * Baileys' check even if its always-true signature verification is ever fixed.
 * `issuerSerial` must be set to 0 explicitly: the protobuf default is null and
 * Baileys compares it with `!==`.
 */
function signCertChain(serverStatic: KeyPair): Uint8Array {
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
