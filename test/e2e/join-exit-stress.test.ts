/**
 * Clean exit under load: rounds of three simultaneous headless joins (a new
 * room each, WAV in and out). Each process must leave by itself with exit 0,
 * no signal, and a complete output WAV. Crashes at exit came from native
 * objects collected too early (src/engine/mesh/native.ts, holdNative); the
 * full 300-join version is `node dist/bench/exit-stress.js`.
 */
import { expect, it } from 'vitest';
import { run } from '../../bench/exit-stress.js';

it('5 rounds × 3 simultaneous joins: all exit 0 by themselves with complete output WAVs', async () => {
  const r = await run(5, 3);
  expect(r.failures).toEqual([]);
  expect(r.clean).toBe(15);
}, 240_000);
