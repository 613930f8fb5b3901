/** TypeScript ESM through ts-jest; run with --experimental-vm-modules (see package.json). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }]
  },
  setupFiles: ['<rootDir>/tests/setup/quiet-libsignal.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/setup/stop-postgres.ts'],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  // Baileys leaves keep-alive and buffer timers behind after a socket ends; they must not hold the run open.
  forceExit: true
};
