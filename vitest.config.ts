import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    include: ['test/**/*.spec.ts'],
    // Forks rather than threads: workers then inherit the emulator hosts the global setup puts in process.env.
    pool: 'forks',
    testTimeout: 30_000,
    // Emulator-backed hooks (wiping Firestore, creating topics) can wait on a cold JVM.
    hookTimeout: 60_000,
  },
});
