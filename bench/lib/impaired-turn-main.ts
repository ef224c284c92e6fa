/**
 * coturn with the impairment relay in front of it (coturn.ts
 * startImpairedTurn), as a process of its own, so that a benchmark can run
 * it inside a network namespace with everything else (bench/lib/netns.ts):
 * Chromium and the terminal there can reach only that namespace's loopback.
 *
 * argv[2]: the relay options as JSON (`seed`, `toTarget`, `toClient`).
 * Prints one JSON line, `{"url","username","credential"}`, once both are up;
 * on SIGTERM (or when stdin closes: the parent died) stops both and prints
 * the relay's counters as a second line `{"stats": …}`.
 */
import { startImpairedTurn } from './coturn.js';

const options = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof startImpairedTurn>[0];
const impaired = await startImpairedTurn(options);
process.stdout.write(`${JSON.stringify({ url: impaired.url, username: impaired.turn.username, credential: impaired.turn.credential })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const stats = impaired.relay.stats();
  await impaired.stop();
  process.stdout.write(`${JSON.stringify({ stats })}\n`);
  process.stdin.destroy(); // the last handle: the process ends by itself
}
process.once('SIGTERM', () => void stop());
process.stdin.resume();
process.stdin.once('end', () => void stop());
