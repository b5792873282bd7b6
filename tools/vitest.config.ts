import { defineConfig } from 'vitest/config';

// Two tiers. Unit tests are pure logic and real small tools (cpio, mkfs.erofs).
// Integration tests build real kernels and boot real QEMU guests: they run one
// file at a time (2 cores) with long timeouts.
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
      {
        test: {
          name: 'integration',
          root: 'tools',
          include: ['**/*.int.test.ts'],
          fileParallelism: false,
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
