/**
 * libsignal prints whole session records with console.info/warn on every
 * session change. Those lines carry key material and drown real logs, so they
 * are sent to a debug hook instead of stdout.
 */
const LIBSIGNAL_LINES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Session already closed',
  'Session already open',
  'Migrating session to',
  'Closing open session in favor of incoming prekey bundle',
  'Decrypted message with closed session.'
];

let installed = false;

export function quietLibsignal(onLine: (line: string) => void = () => undefined): void {
  if (installed) return;
  installed = true;
  for (const level of ['info', 'warn'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && LIBSIGNAL_LINES.some(line => first.startsWith(line))) {
        onLine(first);
        return;
      }
      original(...args);
    };
  }
}
