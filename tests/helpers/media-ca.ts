import { realpathSync } from 'node:fs';
import { TEST_CA_PATH } from '../../simulator/media-server.js';

/**
 * The simulator's media host has a certificate from the committed test CA.
 * Node reads NODE_EXTRA_CA_CERTS once, when the process starts, so setting it
 * from inside a test file is too late for this process; `npm test` sets it on
 * the jest command line. Run alone, a media test says so plainly instead of
 * failing deep inside a TLS handshake.
 */
export function requireTestCa(): void {
  const given = process.env.NODE_EXTRA_CA_CERTS;
  const same = given !== undefined && (() => {
    try {
      return realpathSync(given) === realpathSync(TEST_CA_PATH);
    } catch {
      return false;
    }
  })();
  if (!same) throw new Error(`media tests need NODE_EXTRA_CA_CERTS=${TEST_CA_PATH} when node starts (npm test sets it)`);
}
