/** Loopback-only network namespaces for tests: one home with the benchmarks (bench/lib/netns.ts). */
export * from '../../bench/lib/netns.js';
