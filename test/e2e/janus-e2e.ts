/**
 * What an end-to-end test with its own Janus holds (the processes it ran,
 * the Janus in its namespace, its temporary files), and the afterEach that
 * ends all of it, whatever the test got to.
 */
import { afterEach } from 'vitest';
import type { JanusInstance } from '../helpers/janus.js';
import { killAll, type Client, type TempDir } from './harness.js';

export interface JanusE2e {
  janus: JanusInstance | undefined;
  dir: TempDir | undefined;
  readonly clients: Client[];
}

export function janusE2e(): JanusE2e {
  const state: JanusE2e = { janus: undefined, dir: undefined, clients: [] };
  afterEach(async () => {
    killAll(state.clients);
    await Promise.all(state.clients.map((c) => c.exited));
    state.clients.length = 0;
    await state.janus?.stop();
    state.janus = undefined;
    state.dir?.remove();
    state.dir = undefined;
  });
  return state;
}
