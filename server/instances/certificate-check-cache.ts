import { createHash } from 'node:crypto';
import { Curve } from '@whiskeysockets/baileys';

/** Verdicts kept: a server's chain is two checks, and WhatsApp rotates its certificates rarely. */
const KEPT = 32;

let installed = false;

/**
 * Remembers the verdicts of Baileys' `Curve.verify`. Every login checks the server's
 * noise certificate chain (leaf and intermediate) in pure-JS curve25519, about 20 ms of
 * CPU per login, and the chain is the same bytes each time: at a restart of hundreds of
 * instances those checks were most of the hub's CPU. A signature check is a pure function
 * of its three inputs, so an answer kept for the same bytes is the answer it would give.
 * Installed once per process; `Curve` is the one object every Baileys module calls through.
 */
export function cacheCertificateChecks(): void {
  if (installed) return;
  installed = true;
  const verify = Curve.verify.bind(Curve);
  const verdicts = new Map<string, boolean>();
  Curve.verify = (pubKey, message, signature) => {
    const key = createHash('sha256')
      .update(Uint32Array.of(pubKey.length, message.length, signature.length))
      .update(pubKey)
      .update(message)
      .update(signature)
      .digest('base64');
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const verdict = verify(pubKey, message, signature);
    if (verdicts.size >= KEPT) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(key, verdict);
    return verdict;
  };
}
