import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_DIR } from '../../storage/index.js';
import { Errors } from '../errors.js';

/** A file in the store: named by the hex SHA-256 of its bytes. */
export interface StoredFile {
  sha256: string;
  bytes: number;
  path: string;
  /** This write put the file there (it was not in the store before). */
  created?: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * DATA_DIR/media, content-addressed: each file is written once under its
 * SHA-256, so a file sent to many, received twice, or sent and received is kept
 * once. Writes stream through a hash into a temporary file that is renamed into
 * place only when complete, so a crash never leaves a half file under a digest.
 */
export class MediaStore {
  readonly dir: string;
  private readonly tmp: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'media');
    this.tmp = join(this.dir, 'tmp');
    mkdirSync(this.tmp, { recursive: true, mode: PRIVATE_DIR });
    // Left over by a crash mid-write: never renamed, never referenced.
    for (const name of safeList(this.tmp)) rmSync(join(this.tmp, name), { force: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && existsSync(this.pathOf(sha256));
  }

  /** Size of a stored file, or undefined when it is not there. */
  size(sha256: string): number | undefined {
    try {
      return statSync(this.pathOf(sha256)).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Streams `source` into the store, never holding it whole. Past `maxBytes` the
   * write stops with 413; with `expectSha256` a file whose digest differs is
   * refused (a corrupt or tampered download) and nothing is kept.
   */
  async put(source: Readable, opts: { maxBytes: number; expectSha256?: string }): Promise<StoredFile> {
    const tmpPath = join(this.tmp, randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > opts.maxBytes) return done(new Errors.mediaTooLarge(opts.maxBytes));
        hash.update(chunk);
        done(null, chunk);
      }
    });
    try {
      await pipeline(source, meter, createWriteStream(tmpPath, { mode: 0o600 }));
      const sha256 = hash.digest('hex');
      if (opts.expectSha256 && opts.expectSha256 !== sha256) throw new Error(`media digest ${sha256} is not the ${opts.expectSha256} the message states`);
      const path = this.pathOf(sha256);
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: PRIVATE_DIR });
      const created = !existsSync(path);
      if (created) await rename(tmpPath, path);
      else await rm(tmpPath, { force: true });
      return { sha256, bytes, path, created };
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
  }

  /** Removes files by digest (retention); a digest still in use must not be passed. */
  remove(digests: string[]): void {
    for (const sha256 of digests) if (SHA256.test(sha256)) rmSync(this.pathOf(sha256), { force: true });
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
