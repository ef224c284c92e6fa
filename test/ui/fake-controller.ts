/**
 * A small, real SessionController for UI tests: snapshots are set by the
 * test, every dispatched action is recorded, and leave() resolves when the
 * test says so (or at once).
 */
import type {
  PeerView,
  SelfView,
  SessionAction,
  SessionController,
  SessionSnapshot,
} from '../../src/engine/api.js';
import { ChatLog } from '../../src/engine/room/chat.js';
import { RECORDING_OFF } from '../../src/engine/media/media-port.js';

export function makePeer(id: string, overrides: Partial<PeerView> = {}): PeerView {
  return {
    id,
    name: id,
    state: 'connected',
    speaking: false,
    level: 0,
    volumePercent: 100,
    mutedByMe: false,
    noiseSuppression: false,
    lossPercent: 0,
    jitterBufferMs: 40,
    rttMs: null,
    packetsReceived: 0,
    packetsLost: 0,
    packetsLate: 0,
    framesConcealed: 0,
    packetsRecovered: 0,
    redDistance: null,
    recording: false,
    ...overrides,
  };
}

export function makeSelf(overrides: Partial<SelfView> = {}): SelfView {
  return {
    name: 'carol',
    micLevel: 0,
    speaking: false,
    muted: false,
    deafened: false,
    pushToTalk: false,
    talking: false,
    processing: { 'echo-cancellation': 'on', 'noise-suppression': 'on', 'auto-gain': 'on' },
    recording: RECORDING_OFF,
    ...overrides,
  };
}

export function makeSnapshot(overrides: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    roomCode: 'purple-otter-lamp-42',
    serverUrl: 'ws://127.0.0.1:7000',
    phase: 'in-call',
    self: makeSelf(),
    peers: [],
    locked: false,
    knocks: [],
    chat: [],
    ...overrides,
  };
}

export class FakeController implements SessionController {
  readonly actions: SessionAction[] = [];
  /** The chat the fake keeps for send-chat and answered knocks (the session's own log type). */
  readonly chatLog = new ChatLog(() => Date.UTC(2026, 11, 5, 9, 30));
  leaveCalls = 0;
  private current: SessionSnapshot;
  private readonly listeners = new Set<(s: SessionSnapshot) => void>();
  private leaveGate: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(initial: SessionSnapshot = makeSnapshot()) {
    this.current = initial;
  }

  snapshot(): SessionSnapshot {
    return this.current;
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Replace the snapshot (shallow-merged onto the current one) and notify subscribers. */
  set(patch: Partial<SessionSnapshot>): SessionSnapshot {
    this.current = { ...this.current, ...patch };
    for (const l of [...this.listeners]) l(this.current);
    return this.current;
  }

  setSelf(patch: Partial<SelfView>): SessionSnapshot {
    return this.set({ self: { ...this.current.self, ...patch } });
  }

  setPeer(id: string, patch: Partial<PeerView>): SessionSnapshot {
    return this.set({ peers: this.current.peers.map((p) => (p.id === id ? { ...p, ...patch } : p)) });
  }

  /**
   * Records the action and applies the obvious effect to the snapshot, like
   * an engine would, so multi-key sequences see their own results.
   */
  dispatch(action: SessionAction): void {
    this.actions.push(action);
    const self = this.current.self;
    switch (action.type) {
      case 'toggle-mute':
        this.setSelf({ muted: !self.muted });
        break;
      case 'toggle-deafen':
        this.setSelf({ deafened: !self.deafened });
        break;
      case 'set-push-to-talk':
        this.setSelf({ pushToTalk: action.enabled, talking: false });
        break;
      case 'talk':
        this.setSelf({ talking: action.pressed });
        break;
      case 'set-peer-volume':
        this.setPeer(action.peerId, { volumePercent: action.volumePercent });
        break;
      case 'toggle-peer-mute': {
        const peer = this.current.peers.find((p) => p.id === action.peerId);
        if (peer) this.setPeer(action.peerId, { mutedByMe: !peer.mutedByMe });
        break;
      }
      case 'toggle-processing': {
        const state = self.processing[action.stage];
        if (state !== 'unavailable') this.setSelf({ processing: { ...self.processing, [action.stage]: state === 'on' ? 'off' : 'on' } });
        break;
      }
      case 'toggle-peer-noise-suppression': {
        const peer = this.current.peers.find((p) => p.id === action.peerId);
        if (peer) this.setPeer(action.peerId, { noiseSuppression: !peer.noiseSuppression });
        break;
      }
      case 'set-lock':
        this.set({ locked: action.locked });
        break;
      case 'set-recording': {
        // As the media side would: recording to a dated file (count rises per start), a file in a
        // directory named "missing" fails to open, a stop keeps the file.
        const r = self.recording;
        const file = action.path ?? '/home/carol/roundtable-2026-12-05-093000.wav';
        if (!action.recording) this.setSelf({ recording: { ...r, state: 'off' } });
        else if (file.includes('/missing/')) {
          this.setSelf({ recording: { state: 'off', path: file, seconds: 0, error: `cannot record: WAV file "${file}": cannot create: its directory does not exist`, count: r.count + 1 } });
        } else this.setSelf({ recording: { state: 'recording', path: file, seconds: 0, error: null, count: r.count + 1 } });
        break;
      }
      case 'answer-knock': {
        // As the server would answer: the knock ends, the room says how.
        const knock = this.current.knocks.find((k) => k.id === action.peerId);
        if (knock === undefined) break;
        this.chatLog.notice(action.admit ? `you let ${knock.name} in` : `you turned ${knock.name} away`);
        this.set({ knocks: this.current.knocks.filter((k) => k.id !== action.peerId), chat: this.chatLog.lines });
        break;
      }
      case 'send-chat': {
        const own = this.chatLog.own(this.current.self.name, action.text);
        if ('error' in own) this.chatLog.notice(own.error);
        this.set({ chat: this.chatLog.lines });
        break;
      }
      case 'leave':
        break;
    }
  }

  /** Make leave() wait until resolveLeave()/rejectLeave() is called. */
  holdLeave(): void {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.leaveGate = { promise, resolve, reject };
  }

  resolveLeave(): void {
    this.leaveGate?.resolve();
  }

  rejectLeave(err: Error): void {
    this.leaveGate?.reject(err);
  }

  leave(): Promise<void> {
    this.leaveCalls++;
    this.set({ phase: 'leaving' });
    const done = this.leaveGate?.promise ?? Promise.resolve();
    return done.then(() => {
      this.set({ phase: 'left' });
    });
  }
}
