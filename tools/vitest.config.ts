import { defineConfig } from 'vitest/config';
import { coreIntegration } from './test-tiers.js';

// Three tiers (tools/test-tiers.ts says which file is in which and why):
//  - unit: pure logic and real small tools (cpio, mkfs.erofs), seconds;
//  - core: the integration tests that prove the product end to end on the
//    primary base (kernel mode, cpio unchanged, the harness's outcomes and
//    failure paths): what `scripts/test` runs, within 30 minutes cold;
//  - full: every other integration test (other bases, KASAN fuzz, status
//    matrix, bisect, build failure injection, benchmark, distribution boots):
//    `scripts/test --full`.
// Integration tests build real kernels and boot real QEMU guests: they run
// one file at a time (2 cores) with long timeouts.
const integration = {
  root: 'tools',
  fileParallelism: false,
  testTimeout: 30 * 60_000,
  hookTimeout: 30 * 60_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          root: 'tools',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      { test: { name: 'core', include: coreIntegration, ...integration } },
      { test: { name: 'full', include: ['**/*.int.test.ts'], exclude: [...coreIntegration, '**/node_modules/**'], ...integration } },
    ],
  },
});
