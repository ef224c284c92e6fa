/**
 * The session in an SFU room (docs/architecture.md §11): the server's
 * `joined` says the room goes through the SFU; the session then builds no
 * link, hands the media side the Janus URL, the room id, our id and the
 * room's media secret, and shows the roster's peers with the media the SFU
 * brings in under their ids (volume, state) — and says which path it uses.
 */
import { describe, expect, it } from 'vitest';
import type { SfuSpec } from '../../../src/engine/media/media-port.js';
import type { SignalingEvents } from '../../../src/engine/signaling/client.js';
import { setup } from './fakes.js';

const ROUTE = { v: 1 as const, janus: 'ws://198.18.0.1:8188', publishers: 8 };
const SECRET = new Uint8Array(32).fill(7);

/** A session whose signaling joins a room with `peers`, answered with `sfu` (or a mesh room), before connect() resolves, as the real client does. */
async function sfuSession(sfu: SignalingEvents['joined']['sfu'], startSfu: (spec: SfuSpec) => Promise<number>) {
  const t = await setup();
  Object.assign(t.signaling, { roomId: 'room-id-0000000000000000', mediaSecret: SECRET });
  const connect = t.signaling.connect.bind(t.signaling);
  t.signaling.connect = async () => {
    await connect();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: false, ...(sfu !== undefined ? { sfu } : {}) });
  };
  Object.assign(t.engine, { startSfu });
  return t;
}

describe('Session in an SFU room', () => {
  it('builds no link, starts the SFU path with the media secret, and maps the SFU streams to the roster by peer id', async () => {
    const specs: SfuSpec[] = [];
    const t = await sfuSession(ROUTE, async (spec) => {
      specs.push(spec);
      return 42;
    });
    await t.session.start();
    expect(specs).toEqual([{ janusUrl: ROUTE.janus, roomId: 'room-id-0000000000000000', maxPublishers: 8, peerId: t.signaling.peerId, mediaSecret: SECRET }]);
    expect(t.links).toHaveLength(0);
    expect(t.session.snapshot()).toMatchObject({ mediaPath: 'sfu', phase: 'in-call', peers: [{ id: 'p', name: 'P', state: 'connecting' }] });
    // The SFU's subscription to p becomes p's stream (SfuMedia adds it under the peer id).
    t.engine.addPeer('p', { sendRtp: () => false, sendRtcp: () => false, isOpen: () => true }, { receiveOnly: true });
    t.session.dispatch({ type: 'set-peer-volume', peerId: 'p', volumePercent: 150 });
    expect(t.session.snapshot().peers).toMatchObject([{ id: 'p', state: 'connected', volumePercent: 150 }]);
    // Relayed link signals mean nothing here: nobody negotiates with anyone but the SFU.
    t.signaling.emit('signal', { from: 'q', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'offer', sdp: 'v=0\r\n' } } });
    expect(t.links).toHaveLength(0);
    // Chat has no data channel here: it goes through the relay (sealed there), and comes back that way.
    t.session.dispatch({ type: 'send-chat', text: 'hello' });
    const relayed = t.signaling.sent.filter((s) => s.data.t === 'chat');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.to).toBe('p');
    expect(JSON.parse(String(relayed[0]!.data.text))).toMatchObject({ t: 'chat', text: 'hello' });
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ from: expect.stringContaining(''), text: 'hello' });
    t.signaling.emit('signal', { from: 'p', data: { t: 'chat', text: JSON.stringify({ t: 'chat', seq: 1, text: 'hi there' }) } });
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ text: 'hi there' });
    // Someone not in the call cannot put words in the chat.
    t.signaling.emit('signal', { from: 'stranger', data: { t: 'chat', text: JSON.stringify({ t: 'chat', seq: 1, text: 'spam' }) } });
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ text: 'hi there' });
        t.signaling.emit('peer-left', { id: 'p', reason: 'left' });
    expect(t.session.snapshot().peers).toEqual([]);
    await t.session.leave();
  });

  it('an SFU that cannot be reached fails start() and the session, saying what to check', async () => {
    const t = await sfuSession(ROUTE, () => Promise.reject(new Error('cannot reach the room\'s SFU at ws://198.18.0.1:8188: connection refused')));
    await expect(t.session.start()).rejects.toThrow('connection refused');
    expect(t.session.snapshot()).toMatchObject({ phase: 'failed', error: { message: expect.stringContaining('SFU'), hint: expect.stringContaining('--janus') } });
  });

  it('a mesh room says so and never starts the SFU path', async () => {
    let asked = 0;
    const t = await sfuSession(undefined, async () => {
      asked++;
      return 1;
    });
    await t.session.start();
    expect(asked).toBe(0);
    expect(t.session.snapshot().mediaPath).toBe('mesh');
    expect(t.linksFor('p')).toHaveLength(1);
    await t.session.leave();
  });
});
