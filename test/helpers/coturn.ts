/** coturn for tests: one home with the benchmarks (bench/lib/coturn.ts). */
export * from '../../bench/lib/coturn.js';
