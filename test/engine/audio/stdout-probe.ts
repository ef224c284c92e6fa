/**
 * Run by device.test.ts in its own process: opens, uses and closes the real
 * devices through our API, then prints one marker line. Anything else that
 * appears on this process's stdout leaked from naudiodon's native code.
 */
import { DeviceSink, DeviceSource, listDevices } from '../../../src/engine/audio/device.js';

const devices = await listDevices();
const sink = new DeviceSink({ frameMs: 20 });
await sink.start(() => new Int16Array(960));
const source = new DeviceSource({ frameMs: 20 });
let frames = 0;
await source.start(() => frames++);
await new Promise((r) => setTimeout(r, 300));
await source.stop();
await sink.stop();
process.stdout.write(`probe-ok devices=${devices.length} captured=${frames > 0}\n`);
