/**
 * A control process for remote-media.test.ts: starts a media process,
 * prints its pid, and waits to be killed.
 */
import { RemoteMedia } from '../../../src/engine/media/remote-media.js';

const out = process.argv[2]!;
const media = new RemoteMedia({ config: { media: { frameMs: 20 }, audio: { input: { kind: 'none' }, output: { kind: 'wav', path: out }, frameMs: 20, playbackFrameMs: 10 } } });
await media.start();
process.stdout.write(`${media.pid}\n`);
setInterval(() => undefined, 1000);
