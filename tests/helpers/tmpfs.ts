import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small tmpfs this process mounted, so a test can fill a real disk. */
export interface Tmpfs {
  path: string;
  /** Writes a filler file until the file system refuses (ENOSPC); returns the bytes written. */
  fill(): number;
  /** Removes the filler. */
  free(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeMiB`, or says why it cannot (not root, no mount permission in this container). */
export function mountTmpfs(sizeMiB: number): Tmpfs | { skipped: string } {
  if (process.getuid?.() !== 0) return { skipped: 'mounting a tmpfs needs root' };
  const path = mkdtempSync(join(tmpdir(), 'wahub-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(path);
    return { skipped: `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}` };
  }
  const filler = join(path, 'filler');
  return {
    path,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 1);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free: () => rmSync(filler, { force: true }),
    unmount() {
      try {
        execFileSync('umount', [path], { stdio: 'pipe' });
      } catch {
        // Still busy (a process that is going away holds a file): detach it now, it goes when released.
        execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      }
      rmdirSync(path);
    }
  };
}
