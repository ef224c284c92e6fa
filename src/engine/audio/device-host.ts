/**
 * Child-process entry that owns the sound device: the only module that
 * imports naudiodon. It runs in its own process because naudiodon's native
 * code prints to stdout (which would garble a terminal UI), ALSA prints probe
 * noise on stderr, segfault-handler writes crash.log into the working
 * directory, and a native crash must not take the call down. The pipe
 * layout and messages are in device-protocol.ts.
 *
 * Usage (spawned by device-process.ts): node device-host.js '<HostConfig JSON>'
 */
import { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { bytesPerFrame, samplesPerFrame } from '../../core/media-format.js';
import {
  JsonLineParser,
  PCM_RECORD_HEADER_BYTES,
  selectDevice,
  type DeviceInfo,
  type HostConfig,
  type HostErrorKind,
  type HostEvent,
} from './device-protocol.js';

type Naudiodon = typeof import('naudiodon');
type IoStream = import('naudiodon').IoStreamRead | import('naudiodon').IoStreamWrite;

// Pipes as sockets (epoll), not fs streams: an fs read on a pipe blocks a
// threadpool thread, and a blocked thread can keep process.exit() from finishing.
const events = new Socket({ fd: 4, readable: false, writable: true });
events.on('error', () => process.exit(1)); // parent gone
let exiting = false;

function send(event: HostEvent): void {
  events.write(JSON.stringify(event) + '\n');
}

/** Report, flush the event pipe, and exit. */
function finish(code: number, last?: HostEvent): void {
  if (exiting) return;
  exiting = true;
  if (last) send(last);
  events.end(() => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}

function fail(kind: HostErrorKind, message: string): void {
  finish(1, { type: 'error', kind, message });
}

function classifyOpenError(err: unknown): { kind: HostErrorKind; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  return /no default device/i.test(message) ? { kind: 'no-device', message } : { kind: 'open-failed', message };
}

function listDevices(na: Naudiodon): DeviceInfo[] {
  const apis = na.getHostAPIs();
  const defaultApi = apis.HostAPIs[apis.defaultHostAPI];
  return na.getDevices().map((d) => ({
    index: d.id,
    name: d.name,
    hostApi: d.hostAPIName,
    maxInputChannels: d.maxInputChannels,
    maxOutputChannels: d.maxOutputChannels,
    defaultSampleRate: d.defaultSampleRate,
    // PortAudio's default devices are those of the default host API.
    isDefaultInput: defaultApi !== undefined && d.id === defaultApi.defaultInput,
    isDefaultOutput: defaultApi !== undefined && d.id === defaultApi.defaultOutput,
  }));
}

function resolveDevice(na: Naudiodon, config: Extract<HostConfig, { mode: 'input' | 'output' }>): number | undefined {
  const devices = listDevices(na);
  const direction = config.mode;
  const picked = selectDevice(devices, config.device, direction);
  if ('error' in picked) {
    fail('not-found', picked.error);
    return undefined;
  }
  if (picked.index === -1 && !devices.some((d) => (direction === 'input' ? d.isDefaultInput : d.isDefaultOutput))) {
    fail('no-device', `No default ${direction} device`);
    return undefined;
  }
  return picked.index;
}

function deviceName(na: Naudiodon, index: number, direction: 'input' | 'output'): string {
  const devices = listDevices(na);
  const d = index === -1 ? devices.find((x) => (direction === 'input' ? x.isDefaultInput : x.isDefaultOutput)) : devices.find((x) => x.index === index);
  return d?.name ?? 'default';
}

function runInput(na: Naudiodon, config: Extract<HostConfig, { mode: 'input' }>, onStop: (fn: () => void) => void): void {
  const deviceId = resolveDevice(na, config);
  if (deviceId === undefined) return;
  const frameBytes = bytesPerFrame(config.frameMs);
  let io: IoStream;
  try {
    io = na.AudioIO({
      inOptions: {
        channelCount: 1,
        sampleFormat: na.SampleFormat16Bit,
        sampleRate: 48_000,
        deviceId,
        closeOnError: false,
        // Chunk size follows highwaterMark: one frame, or reads come in ~170 ms chunks (docs/architecture.md §6).
        highwaterMark: frameBytes,
      },
    });
  } catch (err) {
    const { kind, message } = classifyOpenError(err);
    fail(kind, message);
    return;
  }
  const pcmOut = new Socket({ fd: 3, readable: false, writable: true });
  pcmOut.on('error', () => finish(0)); // parent closed the pipe: nothing left to do
  const bytesPerNs = 48_000 * 2 / 1e9;
  let capturing = false;
  io.on('data', (chunk: Buffer) => {
    if (!capturing) {
      // 'ready' once audio really flows: device start-up takes ~0.6 s on PulseAudio.
      capturing = true;
      send({ type: 'ready', deviceIndex: deviceId, deviceName: deviceName(na, deviceId, 'input') });
    }
    // The last sample arrived just now; the first was captured one chunk earlier.
    const captureTimeNs = process.hrtime.bigint() - BigInt(Math.round(chunk.length / bytesPerNs));
    const header = Buffer.alloc(PCM_RECORD_HEADER_BYTES);
    header.writeUInt32LE(chunk.length, 0);
    header.writeBigUInt64LE(captureTimeNs, 4);
    pcmOut.write(Buffer.concat([header, chunk]));
  });
  io.on('error', (err: Error) => fail('internal', err.message));
  try {
    io.start();
  } catch (err) {
    const { kind, message } = classifyOpenError(err);
    fail(kind, message);
    return;
  }
  onStop(() => {
    io.quit(() => pcmOut.end(() => finish(0, { type: 'stopped' })));
  });
}

function runOutput(na: Naudiodon, config: Extract<HostConfig, { mode: 'output' }>, onStop: (fn: () => void) => void): void {
  const deviceId = resolveDevice(na, config);
  if (deviceId === undefined) return;
  const frameBytes = bytesPerFrame(config.frameMs);
  // Measured on a PulseAudio null sink: with a native queue of one frame the
  // device is starved and plays ~45 % slower than real time; two or more
  // keep it at real time.
  const maxQueue = Math.max(2, config.bufferFrames);
  let io: import('naudiodon').IoStreamWrite;
  try {
    io = na.AudioIO({
      outOptions: {
        channelCount: 1,
        sampleFormat: na.SampleFormat16Bit,
        sampleRate: 48_000,
        deviceId,
        // true would destroy the stream on the first underflow (docs/architecture.md §6).
        closeOnError: false,
        framesPerBuffer: samplesPerFrame(config.frameMs),
        highwaterMark: frameBytes,
        maxQueue,
      },
    });
  } catch (err) {
    const { kind, message } = classifyOpenError(err);
    fail(kind, message);
    return;
  }
  io.on('error', (err: Error) => fail('internal', err.message));

  const silence = Buffer.alloc(frameBytes);
  const fifo: Buffer[] = [];
  let partial: Buffer = Buffer.alloc(0);
  let started = false;
  let writing = false;
  let stopping = false;
  /**
   * Frames to discard on arrival: each underflow plays silence in the slot
   * of a frame that is still on its way, and that frame is dropped when it
   * comes. So every sample keeps the slot the device clock gave it: an
   * underflow costs one frame of audio, never a shift of everything after
   * it. Echo cancellation relies on this (its far-end reference is paired
   * with the microphone by sample count; a shift is an echo path it must
   * learn again, and on a loaded machine underflows came every second,
   * docs/architecture.md §2), and the output latency stays what it was.
   */
  let skipFrames = 0;
  let underflows = 0;
  let graceTimer: NodeJS.Timeout | undefined;

  const write = (frame: Buffer): void => {
    writing = true;
    io.write(frame, (err?: Error | null) => {
      writing = false;
      if (err) {
        fail('internal', err.message);
        return;
      }
      // The device accepted a frame (or the silence standing in for a late
      // one, which is dropped when it comes): ask for the next one.
      if (!stopping) send({ type: 'credit', frames: 1 });
      pump();
    });
  };

  const pump = (): void => {
    if (writing || exiting) return;
    const next = fifo.shift();
    if (next !== undefined) {
      if (graceTimer) clearTimeout(graceTimer);
      graceTimer = undefined;
      write(next);
      return;
    }
    if (!started || stopping || graceTimer) return;
    // A write completes when its frame enters naudiodon's native queue, so
    // right now that queue is full: maxQueue frames, the device takes one
    // every frameMs, and it would block (an ALSA underrun that stalls
    // playback, see prime() below) only once all of them are played. So the
    // next frame may come up to (maxQueue - 1) frames late; only then is
    // silence written in its slot, while one frame is still queued. Half a
    // frame of grace, as before, replaced a frame whose round trip through
    // the media process took over 5 ms by silence although 20 ms more were
    // queued: 22 gaps in a 30 s demo on PulseAudio (bench/demo-device.ts).
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      if (writing || stopping) return;
      if (fifo.length > 0) return pump();
      underflows++;
      skipFrames++;
      send({ type: 'underflow', total: underflows });
      write(silence);
    }, (maxQueue - 1) * config.frameMs);
  };

  const pcmIn = new Socket({ fd: 3, readable: true, writable: false });
  pcmIn.on('data', (data: Buffer | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    partial = partial.length ? Buffer.concat([partial, bytes]) : bytes;
    while (partial.length >= frameBytes) {
      if (skipFrames > 0) skipFrames--;
      else fifo.push(partial.subarray(0, frameBytes));
      partial = partial.subarray(frameBytes);
    }
    // Bound latency if the parent ever sends more than it was asked for.
    while (fifo.length > config.bufferFrames + 2) fifo.shift();
    started = true;
    pump();
  });
  pcmIn.on('error', () => undefined);

  // Fill the native queue with silence before starting: a device started
  // empty blocks in its first callback, ALSA underruns, and recovery stalls
  // playback for ~0.6 s (measured on the PulseAudio null sink).
  let primed = 0;
  const prime = (): void => {
    if (primed === maxQueue) {
      begin();
      return;
    }
    primed++;
    io.write(silence, (err?: Error | null) => (err ? fail('internal', err.message) : prime()));
  };
  const begin = (): void => {
    try {
      io.start();
    } catch (err) {
      const { kind, message } = classifyOpenError(err);
      fail(kind, message);
      return;
    }
    // One more silence frame: it is accepted only once the device really
    // consumes audio (start-up takes ~0.65 s on PulseAudio), so 'ready'
    // means playing, and the engine's first frame is not held up behind it.
    io.write(silence, (err?: Error | null) => {
      if (err) return fail('internal', err.message);
      send({ type: 'ready', deviceIndex: deviceId, deviceName: deviceName(na, deviceId, 'output') });
      send({ type: 'credit', frames: 1 });
    });
  };
  prime();
  onStop(() => {
    stopping = true;
    if (graceTimer) clearTimeout(graceTimer);
    // quit() waits for queued frames to play; abort() always throws (docs/architecture.md §6).
    void io.quit(() => finish(0, { type: 'stopped' }));
  });
}

function main(): void {
  let config: HostConfig;
  try {
    config = JSON.parse(process.argv[2] ?? '') as HostConfig;
  } catch {
    fail('internal', 'device host: missing or invalid configuration argument');
    return;
  }
  let na: Naudiodon;
  try {
    na = createRequire(import.meta.url)('naudiodon') as Naudiodon;
  } catch (err) {
    fail('open-failed', `cannot load naudiodon: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (config.mode === 'list') {
    try {
      finish(0, { type: 'devices', devices: listDevices(na) });
    } catch (err) {
      fail('internal', err instanceof Error ? err.message : String(err));
    }
    return;
  }

  let stopFn: (() => void) | undefined;
  let stopRequested = false;
  const requestStop = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    if (stopFn) stopFn();
    else finish(0, { type: 'stopped' });
  };
  const control = new JsonLineParser((cmd) => {
    if ((cmd as { type?: unknown }).type === 'stop') requestStop();
  });
  process.stdin.on('data', (d: Buffer) => control.push(d));
  // Ctrl-C in a terminal signals the whole process group: our parent decides when we stop (it
  // closes stdin), so that the output it is finishing is played out.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // EOF on stdin: the parent is gone (or gave up on us).
  process.stdin.on('end', requestStop);
  process.stdin.on('error', requestStop);

  const onStop = (fn: () => void): void => {
    stopFn = fn;
    if (stopRequested) fn();
  };
  if (config.mode === 'input') runInput(na, config, onStop);
  else if (config.mode === 'output') runOutput(na, config, onStop);
  else fail('internal', `device host: unknown mode ${(config as { mode?: unknown }).mode as string}`);
}

process.on('uncaughtException', (err) => fail('internal', err.message));
main();
