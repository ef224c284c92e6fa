/**
 * Child process for native-lifecycle.test.ts (run with `node --expose-gc
 * --import tsx`). It must exit by itself, with code 0 and no signal.
 *
 *   links ROUNDS  ROUNDS × a pair of PeerLinks on 127.0.0.1, connected (or,
 *                 every third round, closed while still negotiating), closed
 *                 from a socket event, then a GC before the next poll phase;
 *                 finally shutdownMesh(). What the CLI does when a session
 *                 ends (and a GC lands at the wrong moment), minus the rest.
 *   raw-track     node-datachannel alone: a Track that JS forgets is
 *                 garbage-collected, then cleanup(). Pins the library fault
 *                 that PeerLink has to work around (see the test).
 */
import { connect, createServer, type AddressInfo } from 'node:net';
import nodeDataChannel from 'node-datachannel';
import { PeerLink, shutdownMesh, type LinkSignal } from '../../../src/engine/mesh/peer-link.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
/** napi finalizers (~TrackWrapper, ~PeerConnectionWrapper) run from an immediate after the GC that found the object dead. */
const collect = async (): Promise<void> => {
  gc();
  await new Promise((r) => setImmediate(r));
};
/**
 * Resolves from a socket event (as the CLI's WebSocket 'close' does): the
 * check phase (immediates, hence napi finalizers) then comes before the next
 * poll phase, where thread-safe-function calls such as a Track's onClosed run.
 */
async function ioTurn(): Promise<void> {
  const server = createServer((s) => s.end('x'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => connect(port, '127.0.0.1').once('data', () => r()));
  server.close();
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function links(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    let a: PeerLink | undefined;
    let b: PeerLink | undefined;
    const common = { iceServers: [], bindAddress: '127.0.0.1', onRtp: () => undefined, onState: () => undefined };
    a = new PeerLink({ ...common, peerId: `b${i}`, role: 'offerer', ssrc: 1000 + i, cname: 'a', onSignal: (s: LinkSignal) => setImmediate(() => b?.handleSignal(s)) });
    b = new PeerLink({ ...common, peerId: `a${i}`, role: 'answerer', ssrc: 2000 + i, cname: 'b', onSignal: (s: LinkSignal) => setImmediate(() => a?.handleSignal(s)) });
    a.start();
    b.start();
    const deadline = Date.now() + (i % 3 === 2 ? 5 : 5000);
    while (!(a.isOpen && b.isOpen) && Date.now() < deadline) await sleep(5);
    await ioTurn();
    a.close();
    b.close();
    a = undefined;
    b = undefined;
    await collect();
  }
  await collect();
  shutdownMesh();
}

async function rawTrack(): Promise<void> {
  const pc = new nodeDataChannel.PeerConnection('raw', { iceServers: [] });
  const audio = new nodeDataChannel.Audio('0', 'SendRecv');
  audio.addOpusCodec(111);
  pc.addTrack(audio); // the returned Track is dropped at once
  await collect();
  pc.close();
  nodeDataChannel.cleanup();
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'links') await links(Number(arg ?? 5));
else if (mode === 'raw-track') await rawTrack();
else throw new Error(`unknown mode ${String(mode)}`);
console.log('child-done');
