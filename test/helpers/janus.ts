/** Janus in a namespace of the test's own: one home with the benchmarks (bench/lib/janus.ts). */
export * from '../../bench/lib/janus.js';
