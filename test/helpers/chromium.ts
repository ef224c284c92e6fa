/** Chromium for tests: one home with the benchmarks (bench/lib/chromium.ts). */
export * from '../../bench/lib/chromium.js';
