/** redis-server for tests: one home with the benchmarks (bench/lib/redis.ts). */
export * from '../../bench/lib/redis.js';
