// Compiles the server to plain JavaScript and copies the dashboard's static files beside it,
// where server/plugins/dashboard.ts looks for them (../dashboard/ from the compiled plugin).
// `node scripts/build.mjs [outDir]`; the folder is emptied first so no stale module survives a rename.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const outDir = resolve(process.argv[2] ?? 'dist');
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], { stdio: 'inherit' });
cpSync('server/dashboard', join(outDir, 'server', 'dashboard'), { recursive: true });
