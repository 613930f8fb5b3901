import { DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';

/** A WhatsApp Web version as Baileys takes it: `[major, minor, revision]`. */
export type WaVersion = [number, number, number];

/** Where the version an instance uses came from: `WA_VERSION`, the lookup, or the one baked into Baileys. */
export type VersionSource = 'override' | 'lookup' | 'pinned';

export interface VersionChoice {
  version: WaVersion;
  source: VersionSource;
}

/** The version the pinned Baileys release was built with; it ages within weeks. */
export const PINNED_VERSION: WaVersion = [...DEFAULT_CONNECTION_CONFIG.version];

export const formatVersion = (v: readonly number[]): string => v.join('.');

/** `2.3000.1043857760` → `[2, 3000, 1043857760]`; undefined for anything else. */
export function parseVersion(text: string): WaVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * Reads the current version from a WhatsApp Web `sw.js`-style document, as Baileys'
 * `fetchLatestWaWebVersion` does (same headers, same `client_revision` pattern), but
 * from any URL and within a deadline: that helper's URL is fixed and it has no timeout.
 */
export async function lookupVersion(url: string, timeoutMs: number): Promise<WaVersion> {
  const res = await fetch(url, {
    headers: {
      'sec-fetch-site': 'none',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
    },
    redirect: 'follow',
    signal: AbortSignal.timeout(timeoutMs)
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const match = (await res.text()).match(/\\?"client_revision\\?":\s*(\d+)/);
  if (!match?.[1]) throw new Error(`${url} names no client_revision`);
  return [2, 3000, Number(match[1])];
}

export interface VersionOptions {
  /** `WA_VERSION`: used as is, never looked up. */
  override?: string;
  url: string;
  timeoutMs: number;
  log: Logger;
}

/**
 * The WhatsApp Web version new connections announce. Looked up at boot and again
 * when WhatsApp refuses a version (405); a failed lookup keeps what was known,
 * the pinned version at first. Concurrent refreshes share one lookup.
 */
export class WaVersionSource {
  private choice: VersionChoice;
  private inflight?: Promise<VersionChoice>;

  constructor(private readonly opts: VersionOptions) {
    const forced = opts.override ? parseVersion(opts.override) : undefined;
    if (opts.override && !forced) throw new Error(`WA_VERSION must look like 2.3000.1043857760, got "${opts.override}"`);
    this.choice = forced ? { version: forced, source: 'override' } : { version: PINNED_VERSION, source: 'pinned' };
  }

  get current(): VersionChoice {
    return this.choice;
  }

  refresh(): Promise<VersionChoice> {
    if (this.choice.source === 'override') return Promise.resolve(this.choice);
    this.inflight ??= lookupVersion(this.opts.url, this.opts.timeoutMs)
      .then(version => {
        this.choice = { version, source: 'lookup' };
        this.opts.log.info({ version: formatVersion(version), url: this.opts.url }, 'WhatsApp Web version looked up');
        return this.choice;
      })
      .catch(err => {
        this.opts.log.warn({ err, url: this.opts.url, version: formatVersion(this.choice.version), source: this.choice.source }, 'WhatsApp Web version lookup failed; keeping the one known');
        return this.choice;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }
}
