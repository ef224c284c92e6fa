/**
 * Opus CPU cost per 20 ms mono frame: encode at complexity 5 with and without
 * in-band FEC, decode, and concealment (PLC). Prints the median µs per frame.
 *
 * Input is fixtures/speech-a.wav when present (real speech exercises SILK and
 * hybrid modes as a call would), otherwise a synthesized speech-like signal.
 * Run: `npx tsx bench/codec.ts [frames]`, or import { run } from a bench runner.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createOpusDecoder, createOpusEncoder } from '../src/engine/codec/opus.js';
import { readWavMono48k } from '../src/engine/audio/wav-file.js';
import { SAMPLE_RATE, samplesPerFrame } from '../src/core/media-format.js';
import { fixture } from './lib/paths.js';

const FRAME_MS = 20 as const;
const FRAME_SAMPLES = samplesPerFrame(FRAME_MS);
const DEFAULT_FRAMES = 3000; // 60 s of audio per measurement

/**
 * Speech-like test signal: a glottal pulse train (pitch gliding 100–220 Hz)
 * through three formant resonators whose centres move per "syllable",
 * amplitude-modulated at ~4 Hz with short pauses, plus a little noise.
 */
export function synthSpeech(samples: number): Int16Array {
  const out = new Int16Array(samples);
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const formants = [
    [700, 1200, 2600],
    [300, 2300, 3000],
    [500, 900, 2400],
    [400, 1700, 2500],
  ];
  // Two-pole resonator state per formant.
  const y1 = [0, 0, 0];
  const y2 = [0, 0, 0];
  let phase = 0;
  for (let n = 0; n < samples; n++) {
    const t = n / SAMPLE_RATE;
    const syllable = Math.floor(t * 4);
    const f = formants[syllable % formants.length]!;
    const pitchHz = 160 + 60 * Math.sin(2 * Math.PI * 0.3 * t);
    phase += pitchHz / SAMPLE_RATE;
    let excitation = 0;
    if (phase >= 1) {
      phase -= 1;
      excitation = 1;
    }
    excitation += 0.05 * noise();
    let v = 0;
    for (let k = 0; k < 3; k++) {
      const r = 0.985;
      const theta = (2 * Math.PI * f[k]!) / SAMPLE_RATE;
      const y = excitation + 2 * r * Math.cos(theta) * y1[k]! - r * r * y2[k]!;
      y2[k] = y1[k]!;
      y1[k] = y;
      v += y / (k + 1);
    }
    const envelope = syllable % 5 === 4 ? 0 : Math.max(0, Math.sin(Math.PI * ((t * 4) % 1)));
    out[n] = Math.max(-32768, Math.min(32767, Math.round(v * envelope * 900)));
  }
  return out;
}

async function loadAudio(frames: number): Promise<{ pcm: Int16Array; source: string }> {
  const path = fixture('speech-a.wav');
  let base: Int16Array;
  let source: string;
  if (existsSync(path)) {
    base = await readWavMono48k(path);
    source = 'fixtures/speech-a.wav (looped)';
  } else {
    base = synthSpeech(10 * SAMPLE_RATE);
    source = 'synthesized speech-like signal';
  }
  const pcm = new Int16Array(frames * FRAME_SAMPLES);
  for (let i = 0; i < pcm.length; i += base.length) pcm.set(base.subarray(0, Math.min(base.length, pcm.length - i)), i);
  return { pcm, source };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median µs of `fn(i)` over i = 0..count−1, timed one call at a time. */
function timeEach(count: number, fn: (i: number) => void): number {
  const times = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return median(times);
}

export async function run(frames = DEFAULT_FRAMES): Promise<Record<string, number>> {
  const { pcm } = await loadAudio(frames);
  const frame = (i: number): Int16Array => pcm.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES);

  const enc = createOpusEncoder({ frameMs: FRAME_MS, complexity: 5 });
  const packets: Buffer[] = new Array(frames);
  const encodeUs = timeEach(frames, (i) => {
    packets[i] = enc.encode(frame(i));
  });

  const encFec = createOpusEncoder({ frameMs: FRAME_MS, complexity: 5, fec: true, expectedLossPercent: 10 });
  const fecPackets: Buffer[] = new Array(frames);
  const encodeFecUs = timeEach(frames, (i) => {
    fecPackets[i] = encFec.encode(frame(i));
  });

  const dec = createOpusDecoder();
  const decodeUs = timeEach(frames, (i) => {
    dec.decode(packets[i]!);
  });

  // Conceal one frame after each decoded packet, as after an isolated loss.
  const plcDec = createOpusDecoder();
  const concealTimes: number[] = [];
  for (let i = 0; i < frames; i += 2) {
    plcDec.decode(packets[i]!);
    const t0 = process.hrtime.bigint();
    plcDec.conceal(FRAME_SAMPLES);
    concealTimes.push(Number(process.hrtime.bigint() - t0) / 1000);
  }

  const meanBytes = (ps: Buffer[]): number => ps.reduce((n, p) => n + p.length, 0) / ps.length;
  return {
    frames,
    encodeC5Us: round(encodeUs),
    encodeC5FecUs: round(encodeFecUs),
    decodeUs: round(decodeUs),
    concealUs: round(median(concealTimes)),
    bytesPerFrameC5: round(meanBytes(packets)),
    bytesPerFrameC5Fec: round(meanBytes(fecPackets)),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

async function main(): Promise<void> {
  const framesArg = Number(process.argv[2] ?? DEFAULT_FRAMES);
  const frames = Number.isInteger(framesArg) && framesArg > 0 ? framesArg : DEFAULT_FRAMES;
  const { source } = await loadAudio(1);
  const results = await run(frames);
  console.log(`codec bench: ${frames} frames of ${FRAME_MS} ms mono 48 kHz from ${source}; median µs per frame`);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(20)} ${v}`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
