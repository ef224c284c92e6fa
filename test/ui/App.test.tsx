import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { ManualClock } from '../../src/core/clock.js';
import { App } from '../../src/ui/App.js';
import { resolveKeyBindings } from '../../src/ui/keymap.js';
import { FakeController, makePeer, makeSelf, makeSnapshot } from './fake-controller.js';
import { mountInk, settle } from './ink-helpers.js';

const KEY_UP = '\u001B[A';
const KEY_DOWN = '\u001B[B';
const KEY_RIGHT = '\u001B[C';
const KEY_LEFT = '\u001B[D';
const KEY_ESC = '\u001B';
const CTRL_C = '\u0003';


/** Poll until `check` holds (exits go through a timer and an unmount). */
async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await settle();
  }
}

function mount(controller: FakeController) {
  return mountInk(<App controller={controller} redrawIntervalMs={0} />);
}

function twoPeers() {
  return new FakeController(
    makeSnapshot({
      peers: [
        makePeer('p1', { name: 'alice', speaking: true, level: 0.5, rttMs: 23, lossPercent: 0.4, jitterBufferMs: 60 }),
        makePeer('p2', { name: 'bob', rttMs: null }),
      ],
      logFile: '/var/tmp/roundtable.log',
    }),
  );
}

/** The rendered row of one peer (the line that carries its name). */
function rowOf(frame: string, name: string): string {
  const line = frame.split('\n').find((l) => l.includes(` ${name} `) && !l.includes('(you)'));
  if (line === undefined) throw new Error(`no row for ${name} in:\n${frame}`);
  return line;
}

afterEach(() => {
  cleanup();
});

describe('App: phases', () => {
  it('connecting-server shows progress with the server', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'connecting-server' }));
    const { frame } = await mount(c);
    expect(frame()).toContain('Connecting to server ws://127.0.0.1:7000 …');
    expect(frame()).toContain('room purple-otter-lamp-42');
    expect(frame()).toContain('● connecting');
  });

  it('waiting-for-peers asks to share the code', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'waiting-for-peers' }));
    const { frame } = await mount(c);
    expect(frame()).toContain('Waiting for peers — share the code purple-otter-lamp-42');
    expect(frame()).not.toContain('No one else here yet');
  });

  it('peers still connecting are announced by name', async () => {
    const c = new FakeController(
      makeSnapshot({ phase: 'in-call', peers: [makePeer('p1', { name: 'alice', state: 'connecting' }), makePeer('p2', { name: 'bob', state: 'reconnecting' })] }),
    );
    const { frame } = await mount(c);
    expect(frame()).toContain('connecting to alice …');
    expect(frame()).toContain('reconnecting to bob …');
    expect(rowOf(frame(), 'alice')).toContain('connecting');
    expect(rowOf(frame(), 'bob')).toContain('reconnecting');
  });

  it('in-call with nobody else says so', async () => {
    const { frame } = await mount(new FakeController(makeSnapshot({ phase: 'in-call' })));
    expect(frame()).toContain('● in call');
    expect(frame()).toContain('No one else here yet.');
  });

  it('reconnecting-server keeps the peer list and says what is happening', async () => {
    const c = twoPeers();
    c.set({ phase: 'reconnecting-server' });
    const { frame } = await mount(c);
    expect(frame()).toContain('Lost the server — reconnecting');
    expect(rowOf(frame(), 'alice')).toContain('connected');
  });

  it('failed shows the reason and the hint', async () => {
    const c = new FakeController(
      makeSnapshot({ phase: 'failed', error: { message: 'server unreachable (ECONNREFUSED)', hint: 'check --server or run `roundtable serve`' } }),
    );
    const { frame } = await mount(c);
    expect(frame()).toContain('Failed: server unreachable (ECONNREFUSED)');
    expect(frame()).toContain('Try: check --server or run `roundtable serve`');
    expect(frame()).toContain('Press q to quit.');
    expect(frame()).toContain('● failed');
  });

  it('failed without a hint still shows the reason', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'failed', error: { message: 'no default device' } }));
    const { frame } = await mount(c);
    expect(frame()).toContain('Failed: no default device');
    expect(frame()).not.toContain('Try:');
  });

  it('leaving (engine side) shows leaving…', async () => {
    const { frame } = await mount(new FakeController(makeSnapshot({ phase: 'leaving' })));
    expect(frame()).toContain('leaving…');
  });

  it('left (engine side) exits the app', async () => {
    const c = twoPeers();
    const { frames } = await mount(c);
    expect(c.listenerCount).toBe(1);
    c.set({ phase: 'left' });
    await waitFor(() => c.listenerCount === 0); // unmounted: the hook unsubscribed
    // Some frame, not necessarily the last write: with CI=true, Ink's unmount
    // appends one more (empty in ink-testing-library's debug mode) frame.
    expect(frames.some((f) => f.includes('Left the room.'))).toBe(true);
  });

  it('follows phase changes', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'connecting-server' }));
    const { frame } = await mount(c);
    c.set({ phase: 'waiting-for-peers' });
    await settle();
    expect(frame()).toContain('Waiting for peers');
    c.set({ phase: 'in-call', peers: [makePeer('p1', { name: 'alice' })] });
    await settle();
    expect(frame()).not.toContain('Waiting for peers');
    expect(rowOf(frame(), 'alice')).toContain('connected');
  });
});

describe('App: peer rows and own line', () => {
  it('shows name, speaking dot, meter, volume, link figures and state', async () => {
    const { frame } = await mount(twoPeers());
    const alice = rowOf(frame(), 'alice');
    expect(alice).toContain('▸ ● alice'); // selected first row, speaking
    expect(alice).toContain('█████·····'); // level 0.5 on 10 cells
    expect(alice).toContain('100%');
    expect(alice).toContain('0.4%');
    expect(alice).toContain('60ms');
    expect(alice).toContain('23ms');
    expect(alice).toContain('connected');
    const bob = rowOf(frame(), 'bob');
    expect(bob).toContain('  ○ bob'); // not selected, silent
    expect(bob).toContain('··········');
    expect(bob).toMatch(/40ms\s+–\s+connected/); // rtt unknown → dash
  });

  it('marks peers muted by me', async () => {
    const c = twoPeers();
    c.setPeer('p2', { mutedByMe: true });
    const { frame } = await mount(c);
    expect(rowOf(frame(), 'bob')).toContain('muted');
    expect(rowOf(frame(), 'alice')).not.toContain('muted');
  });

  it('own line: mic meter, muted, deafened, push-to-talk', async () => {
    const c = twoPeers();
    c.setSelf({ micLevel: 1, speaking: true });
    const { frame } = await mount(c);
    const own = () => frame().split('\n').find((l) => l.includes('carol (you)')) ?? '';
    expect(own()).toContain('██████████');
    expect(own()).toContain('mic open');
    c.setSelf({ muted: true, deafened: true });
    await settle();
    expect(own()).toContain('MUTED');
    expect(own()).toContain('DEAFENED');
    c.setSelf({ muted: false, deafened: false, pushToTalk: true, talking: false });
    await settle();
    expect(own()).toContain('PTT: space to talk');
    c.setSelf({ talking: true });
    await settle();
    expect(own()).toContain('PTT: talking');
  });

  it('noise suppression: NS on the own line (off, unavailable in words) and on the line of a peer we suppress', async () => {
    const c = twoPeers();
    const { frame } = await mount(c);
    const own = () => frame().split('\n').find((l) => l.includes('carol (you)')) ?? '';
    expect(own()).toMatch(/\bNS\b/);
    expect(own()).not.toContain('NS off');
    c.setSelf({ processing: { ...c.snapshot().self.processing, 'noise-suppression': 'off' } });
    await settle();
    expect(own()).toContain('NS off');
    c.setSelf({ processing: { ...c.snapshot().self.processing, 'noise-suppression': 'unavailable' } });
    await settle();
    expect(own()).toContain('NS unavailable');
    c.setPeer('p2', { noiseSuppression: true });
    await settle();
    expect(rowOf(frame(), 'bob')).toMatch(/\bNS\b/);
    expect(rowOf(frame(), 'alice')).not.toMatch(/\bNS\b/);
    c.setPeer('p2', { noiseSuppression: true, mutedByMe: true });
    await settle();
    expect(rowOf(frame(), 'bob')).toContain('M NS');
  });

  it('degrades on a narrow terminal: no link figures, short states, still every peer', async () => {
    const r = await mount(twoPeers());
    Object.defineProperty(r.stdout, 'columns', { value: 40, configurable: true });
    r.stdout.emit('resize');
    await settle();
    const lines = r.frame().split('\n');
    for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(40);
    const alice = rowOf(r.frame(), 'alice');
    expect(alice).toContain('100%');
    expect(alice).toContain('✓');
    expect(alice).not.toContain('23ms');
    expect(r.frame()).toContain('bob');
  });

  it('fits 80 columns with all link figures', async () => {
    const r = await mount(twoPeers());
    Object.defineProperty(r.stdout, 'columns', { value: 80, configurable: true });
    r.stdout.emit('resize');
    await settle();
    for (const l of r.frame().split('\n')) expect(Array.from(l).length).toBeLessThanOrEqual(80);
    const alice = rowOf(r.frame(), 'alice');
    expect(alice).toContain('23ms');
    expect(alice).toContain('connected');
  });
});

describe('App: keys', () => {
  it('m and d dispatch mute and deafen', async () => {
    const c = twoPeers();
    const { press } = await mount(c);
    await press('m', 'd');
    expect(c.actions).toEqual([{ type: 'toggle-mute' }, { type: 'toggle-deafen' }]);
  });

  it('arrows select, wrap at the ends, and the selected peer gets the volume and mute keys', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    await press(KEY_DOWN);
    expect(rowOf(frame(), 'bob')).toContain('▸');
    await press(KEY_DOWN); // wraps to the top
    expect(rowOf(frame(), 'alice')).toContain('▸');
    await press(KEY_UP); // wraps to the bottom
    expect(rowOf(frame(), 'bob')).toContain('▸');
    await press('x', KEY_RIGHT, '+', KEY_LEFT, '-', '-');
    expect(c.actions).toEqual([
      { type: 'toggle-peer-mute', peerId: 'p2' },
      { type: 'set-peer-volume', peerId: 'p2', volumePercent: 110 },
      { type: 'set-peer-volume', peerId: 'p2', volumePercent: 120 },
      { type: 'set-peer-volume', peerId: 'p2', volumePercent: 110 },
      { type: 'set-peer-volume', peerId: 'p2', volumePercent: 100 },
      { type: 'set-peer-volume', peerId: 'p2', volumePercent: 90 },
    ]);
    expect(rowOf(frame(), 'bob')).toContain(' 90%');
    expect(rowOf(frame(), 'bob')).toContain('muted');
  });

  it('n toggles our noise suppression, N the selected peer\'s; unavailable says so instead', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    await press('n', KEY_DOWN, 'N');
    expect(c.actions).toEqual([{ type: 'toggle-processing', stage: 'noise-suppression' }, { type: 'toggle-peer-noise-suppression', peerId: 'p2' }]);
    expect(rowOf(frame(), 'bob')).toMatch(/\bNS\b/);
    c.setSelf({ processing: { ...c.snapshot().self.processing, 'noise-suppression': 'unavailable' } });
    await settle();
    await press('n', 'N');
    expect(c.actions).toHaveLength(2);
    expect(frame()).toContain('noise suppression is not available here');
  });

  it('R starts and stops recording; the own line shows REC, its time and file; a failure in words', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    expect(frame()).toMatch(/R record\b/);
    expect(frame()).not.toContain('REC');
    await press('R');
    expect(c.actions).toEqual([{ type: 'set-recording', recording: true }]);
    c.setSelf({ recording: { ...c.snapshot().self.recording, seconds: 62.4 } });
    await settle();
    // The own line wraps its badges onto a second line on 80 columns.
    expect(frame()).toContain('● REC 1:02 roundtable-2026-12-05-093000.wav');
    expect(frame()).toContain('R stop recording');
    await press('R');
    expect(c.actions.at(-1)).toEqual({ type: 'set-recording', recording: false });
    expect(frame()).not.toContain('REC');
    c.setSelf({ recording: { state: 'off', path: '/full/x.wav', seconds: 3, error: 'recording stopped: WAV file "/full/x.wav": cannot write: the disk is full', count: 2 } });
    await settle();
    expect(frame()).toContain('cannot write: the disk is full');
    // While the file is being finished the key waits.
    c.setSelf({ recording: { state: 'stopping', path: '/x/y.wav', seconds: 3, error: null, count: 3 } });
    await settle();
    await press('R');
    expect(c.actions).toHaveLength(2);
    expect(frame()).toContain('REC saving y.wav');
  });

  it('marks a peer who records with REC beside the name, wide and narrow', async () => {
    const c = twoPeers();
    c.setPeer('p2', { recording: true });
    const r = await mount(c);
    expect(rowOf(r.frame(), 'bob')).toMatch(/bob\s*●REC/);
    expect(rowOf(r.frame(), 'alice')).not.toContain('REC');
    Object.defineProperty(r.stdout, 'columns', { value: 36, configurable: true });
    r.stdout.emit('resize');
    await settle();
    expect(r.frame().split('\n').find((l) => l.includes('bob') && !l.includes('(you)'))).toMatch(/bob\s*●/);
  });

  it('L locks and unlocks the room; the header and the footer show the state; not while the server is away', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    const header = () => frame().split('\n')[0] ?? '';
    expect(header()).not.toContain('locked');
    expect(frame()).toContain('lock room');
    await press('L');
    expect(c.actions).toEqual([{ type: 'set-lock', locked: true }]);
    expect(header()).toContain('locked');
    expect(frame()).toContain('unlock room');
    await press('L');
    expect(c.actions.at(-1)).toEqual({ type: 'set-lock', locked: false });
    expect(header()).not.toContain('locked');
    c.set({ phase: 'reconnecting-server' });
    await settle();
    await press('L');
    expect(c.actions).toHaveLength(2);
    expect(frame()).toContain('the room lock cannot change while the server is out of reach');
  });

  it('keys typed faster than redraws act on the newest selection', async () => {
    const c = twoPeers();
    const r = await mount(c);
    r.stdin.write(KEY_DOWN);
    r.stdin.write('x');
    await settle();
    expect(c.actions).toEqual([{ type: 'toggle-peer-mute', peerId: 'p2' }]);
  });

  it('several keys in one read each act; a long paste does nothing', async () => {
    const c = twoPeers();
    const r = await mount(c);
    r.stdin.write('md');
    await settle();
    expect(c.actions).toEqual([{ type: 'toggle-mute' }, { type: 'toggle-deafen' }]);
    r.stdin.write('hello, quit me please');
    await settle();
    expect(c.actions).toHaveLength(2);
    expect(c.leaveCalls).toBe(0);
  });

  it('volume is clamped to 0–200 %', async () => {
    const c = twoPeers();
    c.setPeer('p1', { volumePercent: 190 });
    const { press } = await mount(c);
    await press(KEY_RIGHT, KEY_RIGHT, KEY_RIGHT);
    c.setPeer('p1', { volumePercent: 10 });
    await press(KEY_LEFT, KEY_LEFT);
    expect(c.actions.map((a) => (a.type === 'set-peer-volume' ? a.volumePercent : a.type))).toEqual([200, 200, 200, 0, 0]);
  });

  it('peer keys do nothing when there are no peers', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'waiting-for-peers' }));
    const { press } = await mount(c);
    await press(KEY_DOWN, 'x', KEY_RIGHT, '-');
    expect(c.actions).toEqual([]);
  });

  it('selection clamps when the selected peer leaves', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    await press(KEY_DOWN); // bob
    c.set({ peers: c.snapshot().peers.filter((p) => p.id !== 'p2') });
    await settle();
    expect(rowOf(frame(), 'alice')).toContain('▸');
    await press('x');
    expect(c.actions).toEqual([{ type: 'toggle-peer-mute', peerId: 'p1' }]);
  });

  it('p toggles push-to-talk; space toggles talking on a legacy terminal and the footer says so', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    await press(' '); // not in PTT mode: nothing
    expect(c.actions).toEqual([]);
    await press('p');
    expect(frame()).toContain('space toggle talk (no key release here)');
    await press(' ', ' ', 'p');
    expect(c.actions).toEqual([
      { type: 'set-push-to-talk', enabled: true },
      { type: 'talk', pressed: true },
      { type: 'talk', pressed: false },
      { type: 'set-push-to-talk', enabled: false },
    ]);
    expect(frame()).toContain('p push-to-talk');
  });

  it('space is hold-to-talk when keys arrive through the kitty keyboard protocol', async () => {
    const c = twoPeers();
    const { press, frame } = await mount(c);
    // kitty: CSI codepoint ; modifiers : event-type u (1 press, 2 repeat, 3 release)
    await press('\u001B[112u'); // p press
    await press('\u001B[112;1:3u'); // p release: ignored
    expect(frame()).toContain('space hold to talk');
    await press('\u001B[32u', '\u001B[32;1:2u', '\u001B[32;1:2u', '\u001B[32;1:3u');
    expect(c.actions).toEqual([
      { type: 'set-push-to-talk', enabled: true },
      { type: 'talk', pressed: true },
      { type: 'talk', pressed: false },
    ]);
  });

  it('s and ? toggle the stats and help panels; esc closes both', async () => {
    const c = twoPeers();
    c.setPeer('p1', { packetsReceived: 1500, packetsLost: 7, packetsLate: 3, framesConcealed: 11, packetsRecovered: 5, redDistance: 1 });
    const { press, frame } = await mount(c);
    expect(frame()).not.toContain('Link statistics');
    await press('s');
    expect(frame()).toContain('Link statistics');
    const statsRow = frame().split('\n').find((l) => l.includes('alice') && l.includes('1500')) ?? '';
    expect(statsRow).toMatch(/1500\s+7\s+3\s+11\s+0\.4%\s+60ms\s+23ms\s+5\s+1\s/);
    // bob's link did not negotiate RED: no distance.
    const bobRows = frame().split('\n').filter((l) => l.includes('bob'));
    expect(bobRows.some((l) => /40ms\s+–\s+0\s+–\s/.test(l)), bobRows.join('\n')).toBe(true);
    await press('s');
    expect(frame()).not.toContain('Link statistics');
    await press('?');
    expect(frame()).toContain('Keys');
    expect(frame()).toContain('Log file: /var/tmp/roundtable.log');
    await press('?');
    expect(frame()).not.toContain('Log file:');
    await press('s', '?', KEY_ESC);
    expect(frame()).not.toContain('Link statistics');
    expect(frame()).not.toContain('Log file:');
    expect(c.actions).toEqual([]);
  });

  it('help says when there is no log file', async () => {
    const c = new FakeController(makeSnapshot());
    const { press, frame } = await mount(c);
    await press('?');
    expect(frame()).toContain('Log file: none');
  });
});

describe('App: leaving', () => {
  it('q calls leave(), shows leaving…, ignores other keys, then exits', async () => {
    const c = twoPeers();
    c.holdLeave();
    const { press, frame } = await mount(c);
    await press('q');
    expect(c.leaveCalls).toBe(1);
    expect(frame()).toContain('leaving…');
    await press('m', 'q'); // second q while leaving would stop waiting; check m first
    expect(c.actions).toEqual([]);
    expect(c.leaveCalls).toBe(1);
    expect(c.listenerCount).toBe(0); // the second q exited without waiting
    c.resolveLeave();
  });

  it('Ctrl-C leaves cleanly and the app exits when leave() resolves', async () => {
    const c = twoPeers();
    c.holdLeave();
    const { press, frame } = await mount(c);
    await press(CTRL_C);
    expect(c.leaveCalls).toBe(1);
    expect(frame()).toContain('leaving…');
    expect(c.listenerCount).toBe(1);
    c.resolveLeave();
    await waitFor(() => c.listenerCount === 0);
  });

  it('q works from the failed phase', async () => {
    const c = new FakeController(makeSnapshot({ phase: 'failed', error: { message: 'boom' } }));
    const { press } = await mount(c);
    await press('q');
    expect(c.leaveCalls).toBe(1);
    await waitFor(() => c.listenerCount === 0);
  });
});

describe('App: robustness', () => {
  it('a dispatch that throws shows a notice instead of crashing', async () => {
    const c = twoPeers();
    c.dispatch = () => {
      throw new Error('engine busy');
    };
    const { press, frame } = await mount(c);
    await press('m');
    expect(frame()).toContain('toggle-mute failed: engine busy');
    expect(rowOf(frame(), 'alice')).toContain('alice');
    c.dispatch = () => {};
    await press('d');
    expect(frame()).not.toContain('failed: engine busy');
  });

  it('garbage numbers in a snapshot render as dashes, not NaN', async () => {
    const c = new FakeController(
      makeSnapshot({ peers: [makePeer('p1', { name: 'alice', level: Number.NaN, lossPercent: Number.NaN, jitterBufferMs: Number.NaN, volumePercent: Number.NaN })] }),
    );
    const { frame } = await mount(c);
    expect(frame()).not.toContain('NaN');
    expect(rowOf(frame(), 'alice')).toContain('··········');
  });
});

describe('App: redraw throttle', () => {
  it('coalesces a burst of engine updates into one trailing redraw showing the final state', async () => {
    const clock = new ManualClock(0);
    const c = twoPeers();
    const r = render(<App controller={c} clock={clock} redrawIntervalMs={80} />);
    await settle();
    const framesBefore = r.frames.length;

    // First change after a quiet period: drawn at once (leading edge).
    c.setPeer('p1', { volumePercent: 101 });
    await settle();
    expect(rowOf(r.lastFrame() ?? '', 'alice')).toContain('101%');
    const framesAfterLeading = r.frames.length;
    expect(framesAfterLeading).toBe(framesBefore + 1);

    // 60 updates within the next 60 ms: nothing drawn yet.
    for (let i = 1; i <= 60; i++) {
      clock.advance(1);
      c.setPeer('p1', { level: i / 60, volumePercent: 101 + i });
    }
    await settle();
    expect(r.frames.length).toBe(framesAfterLeading);
    expect(rowOf(r.lastFrame() ?? '', 'alice')).toContain('101%');

    // The interval ends: exactly one redraw, with the newest values.
    clock.advance(20);
    await settle();
    expect(r.frames.length).toBe(framesAfterLeading + 1);
    const alice = rowOf(r.lastFrame() ?? '', 'alice');
    expect(alice).toContain('161%');
    expect(alice).toContain('██████████');
    expect(clock.pendingTimers).toBe(0);
  });

  it('unsubscribes and drops the pending redraw on unmount', async () => {
    const clock = new ManualClock(0);
    const c = twoPeers();
    const r = render(<App controller={c} clock={clock} redrawIntervalMs={80} />);
    await settle();
    c.setPeer('p1', { level: 0.1 });
    c.setPeer('p1', { level: 0.2 });
    expect(clock.pendingTimers).toBe(1);
    r.unmount();
    expect(c.listenerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('App: configured key bindings', () => {
  const bindings = resolveKeyBindings({ mute: 'k', quit: 'z', help: 'h', talk: 't' });

  function mountWith(controller: FakeController, banner?: readonly string[]) {
    return mountInk(<App controller={controller} redrawIntervalMs={0} bindings={bindings} {...(banner ? { banner } : {})} />);
  }

  it('acts on the configured keys, not the defaults, and the footer shows them', async () => {
    const c = twoPeers();
    const { press, frame } = await mountWith(c);
    expect(frame()).toContain('k mute');
    expect(frame()).toContain('z quit');
    expect(frame()).toContain('h help');
    expect(frame()).not.toContain('m mute');
    await press('m'); // no longer bound
    expect(c.actions).toEqual([]);
    await press('k');
    expect(c.actions).toEqual([{ type: 'toggle-mute' }]);
    await press('p', 't', ' ');
    expect(frame()).toContain('t toggle talk');
    expect(c.actions).toEqual([
      { type: 'toggle-mute' },
      { type: 'set-push-to-talk', enabled: true },
      { type: 'talk', pressed: true },
    ]);
    await press('q'); // not the quit key any more
    expect(c.leaveCalls).toBe(0);
    await press('z');
    await waitFor(() => c.leaveCalls === 1);
  });

  it('the help panel lists the configured keys', async () => {
    const c = twoPeers();
    const { press, frame } = await mountWith(c);
    await press('?');
    expect(frame()).not.toContain('Keys');
    await press('h');
    const help = frame();
    expect(help).toContain('Keys');
    expect(help).toMatch(/k\s+mute \/ unmute your microphone/);
    expect(help).toMatch(/z, Ctrl-C\s+leave the room/);
    expect(help).toMatch(/R\s+record the call \/ stop/);
    expect(help).toContain('Push-to-talk: t toggles talking');
  });

  it('shows banner lines under the header', async () => {
    const c = twoPeers();
    const { frame } = await mountWith(c, ['No sound device: writing what you hear to /tmp/demo.wav']);
    expect(frame()).toContain('No sound device: writing what you hear to /tmp/demo.wav');
  });
});
