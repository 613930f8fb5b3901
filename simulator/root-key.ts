/**
 * The simulator's fixed certificate root. Test material only: it signs the Noise
 * certificate chain as WhatsApp's root signs WhatsApp's, so a client that trusts
 * this public key (WA_ROOT_PUBLIC_KEY) would verify it, were signatures checked
 * (Baileys 7.0.0-rc14 accepts any).
 */
export const SIM_ROOT_PRIVATE_KEY = Buffer.from(
  'f8d0ef27770d22239067f4d55aaddda1f1b696252b1343f4708899f4e5905752',
  'hex'
);
export const SIM_ROOT_PUBLIC_KEY = Buffer.from(
  '9c5658bae52f2fb85e510c8eab0ba8f71a6d103d57741939e3858a71b4d0767e',
  'hex'
);
/** The root public key as the 64 hex characters the hub's WA_ROOT_PUBLIC_KEY takes. */
export const SIM_ROOT_PUBLIC_KEY_HEX = SIM_ROOT_PUBLIC_KEY.toString('hex');
