/** TCP between two test namespaces: one home with the benchmarks (bench/lib/ns-bridge.ts). */
export * from '../../bench/lib/ns-bridge.js';
