import { defineConfig } from 'vitest/config';

// Two projects: unit tests run in parallel; end-to-end tests (real processes)
// and real-time tests (*.realtime.test.ts: real sound devices, paced audio)
// run one file at a time, so the 2-core CI machine does not distort pacing,
// and only after the unit tests are done (groupOrder): the first e2e file
// otherwise ran beside the unit tests' forks on both cores, where one of
// Firefox's page evaluations hung for 30 s in CI (docs/architecture.md §10).
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.{ts,tsx}'],
          exclude: ['test/e2e/**', 'test/**/*.realtime.test.{ts,tsx}'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.{ts,tsx}', 'test/**/*.realtime.test.{ts,tsx}'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
