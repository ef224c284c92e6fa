/**
 * `roundtable devices`: list microphones and speakers with the index and name
 * that `--input-device` / `audio.inputDevice` accept, marking the defaults.
 * The device list comes from the audio engine (the only naudiodon importer);
 * it is loaded lazily so that other commands never load the native module.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { DeviceInfo } from '../../engine/audio/device.js';
import { devicesFor } from '../../engine/audio/device-protocol.js';
import { RuntimeError } from '../../core/errors.js';
import { cliContext } from '../context.js';

export type { DeviceInfo };
export type { ListDevices } from '../context.js';

/**
 * Loads the engine's device module only when the command runs, so other
 * commands never start the device machinery. Its errors already carry
 * advice, so they are passed on as runtime errors unchanged.
 */
async function engineListDevices(): Promise<DeviceInfo[]> {
  const engine = await import('../../engine/audio/device.js');
  try {
    // The run's environment reaches the device process (e.g. PULSE_SERVER).
    return await engine.listDevices({ env: cliContext().env });
  } catch (error) {
    if (error instanceof engine.AudioDeviceError) throw new RuntimeError(error.message, { cause: error });
    throw error;
  }
}

export interface DeviceTable {
  input: DeviceInfo[];
  output: DeviceInfo[];
}

export function splitDevices(devices: readonly DeviceInfo[]): DeviceTable {
  const byIndex = (a: DeviceInfo, b: DeviceInfo) => a.index - b.index;
  return {
    input: devicesFor(devices, 'input').sort(byIndex),
    output: devicesFor(devices, 'output').sort(byIndex),
  };
}

function section(title: string, devices: DeviceInfo[], isDefault: (d: DeviceInfo) => boolean, channels: (d: DeviceInfo) => number): string[] {
  if (devices.length === 0) return [`${title}: none found`];
  const indexWidth = Math.max(5, ...devices.map((d) => String(d.index).length));
  const nameWidth = Math.min(48, Math.max(4, ...devices.map((d) => d.name.length)));
  const apiWidth = Math.max(8, ...devices.map((d) => d.hostApi.length));
  const lines = [`${title}:`, `  ${' '} ${'index'.padStart(indexWidth)}  ${'name'.padEnd(nameWidth)}  ${'host api'.padEnd(apiWidth)}  channels  rate`];
  for (const d of devices) {
    const name = d.name.length > nameWidth ? `${d.name.slice(0, nameWidth - 1)}…` : d.name.padEnd(nameWidth);
    lines.push(
      `  ${isDefault(d) ? '*' : ' '} ${String(d.index).padStart(indexWidth)}  ${name}  ${d.hostApi.padEnd(apiWidth)}  ${String(channels(d)).padStart(8)}  ${Math.round(d.defaultSampleRate)} Hz`,
    );
  }
  return lines;
}

/** The human table: inputs, then outputs, `*` marking the system defaults. */
export function formatDevices(devices: readonly DeviceInfo[]): string {
  if (devices.length === 0) {
    return 'No audio devices found.\nWithout a sound card, use WAV files instead of devices, or run a PulseAudio null sink.\n';
  }
  const { input, output } = splitDevices(devices);
  return [
    ...section('Input devices', input, (d) => d.isDefaultInput, (d) => d.maxInputChannels),
    '',
    ...section('Output devices', output, (d) => d.isDefaultOutput, (d) => d.maxOutputChannels),
    '',
    '* = system default. Choose with --input-device / --output-device (index or part of the name),',
    'or audio.inputDevice / audio.outputDevice in the config file.',
    '',
  ].join('\n');
}

interface DevicesFlags {
  json?: boolean;
}

export const devicesCommand: CommandModule<object, DevicesFlags> = {
  command: 'devices',
  describe: 'List audio input and output devices (index, name, default marks)',
  builder: (yargs: Argv) =>
    yargs
      .example('$0 devices', 'Show microphones and speakers; * marks the defaults')
      .example('$0 devices --json', 'The same as JSON: { input: [...], output: [...] }') as unknown as Argv<DevicesFlags>,
  handler: async (argv: ArgumentsCamelCase<DevicesFlags>) => {
    const { io, listDevices = engineListDevices } = cliContext();
    let devices: DeviceInfo[];
    try {
      devices = await listDevices();
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new RuntimeError(`cannot list audio devices: ${reason}`, {
        hint: 'check that a sound server (PulseAudio/PipeWire) or ALSA device is available',
        cause: error,
      });
    }
    io.stdout.write(argv.json ? JSON.stringify(splitDevices(devices), null, 2) + '\n' : formatDevices(devices));
  },
};
