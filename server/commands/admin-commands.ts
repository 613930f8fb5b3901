import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPrivateFile, makePrivateDir, type Storage } from '../../storage/index.js';
import { assertAdmin } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { CommandHandlers } from './command-layer.js';

/** admin.*: operator commands. */
export function adminCommands(storage: Storage): Pick<CommandHandlers, 'admin.backup'> {
  return {
    'admin.backup': async (_args, principal) => {
      assertAdmin(principal, 'admin.backup');
      if (!storage.file) throw new Errors.badRequest('admin.backup copies the SQLite file; back a PostgreSQL database up with pg_dump');
      const dir = join(dirname(storage.file), 'backups');
      makePrivateDir(dir);
      // Sortable by name, unique to the millisecond; ':' is kept out for file systems that refuse it.
      const path = join(dir, `wahub-${new Date().toISOString().replaceAll(':', '-')}.sqlite`);
      // The copy holds the same keys as the database: private before SQLite writes a byte to it.
      createPrivateFile(path);
      await storage.backup(path);
      return { path, bytes: statSync(path).size };
    }
  };
}
