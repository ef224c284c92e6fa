/**
 * Mount the UI on a terminal and resolve once the user has left the room and
 * Ink has restored the terminal.
 */
import { render, type KittyFlagName, type RenderOptions } from 'ink';
import type { SessionController } from '../engine/api.js';
import { App } from './App.js';
import { resolveKeyBindings, type KeyBindings } from './keymap.js';

export interface RunTuiOptions {
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  /**
   * Ask for the kitty keyboard protocol (default true). Ink only turns it on
   * when stdin/stdout are TTYs and the terminal confirms support (it
   * recognizes kitty, WezTerm and ghostty, then queries with CSI ? u); other
   * terminals keep the legacy protocol and push-to-talk becomes a toggle.
   */
  readonly kittyKeyboard?: boolean;
  /**
   * Route stray console.* output above the UI instead of through it (Ink's
   * patchConsole; default true). Tests under vitest turn it off: vitest's
   * console cannot be patched.
   */
  readonly patchConsole?: boolean;
  /**
   * Keys of the main actions (config.keys); missing ones keep their
   * defaults. A key the UI cannot read, or one bound twice, is a RangeError
   * before anything is drawn.
   */
  readonly bindings?: Partial<KeyBindings>;
  /** Lasting lines shown under the header (e.g. where the audio goes). */
  readonly banner?: readonly string[];
}

/**
 * Flags (https://sw.kovidgoyal.net/kitty/keyboard-protocol/#progressive-enhancement):
 * event types for the release of the talk key; all keys as escape codes,
 * because a plain space otherwise arrives as legacy text with no release
 * event; associated text so shifted keys such as '+' and '?' still read as
 * themselves.
 */
export const KITTY_FLAGS: KittyFlagName[] = [
  'disambiguateEscapeCodes',
  'reportEventTypes',
  'reportAllKeysAsEscapeCodes',
  'reportAssociatedText',
];

export async function runTui(controller: SessionController, opts: RunTuiOptions = {}): Promise<void> {
  const bindings = resolveKeyBindings(opts.bindings);
  const options: RenderOptions = {
    // Ctrl-C must leave the room cleanly (App handles it), not just unmount.
    exitOnCtrlC: false,
  };
  // Only set streams that were given: an explicit undefined would override Ink's process defaults.
  if (opts.stdout !== undefined) options.stdout = opts.stdout;
  if (opts.stdin !== undefined) options.stdin = opts.stdin;
  if (opts.patchConsole === false) options.patchConsole = false;
  if (opts.kittyKeyboard !== false) options.kittyKeyboard = { mode: 'auto', flags: KITTY_FLAGS };
  const instance = render(<App controller={controller} bindings={bindings} {...(opts.banner !== undefined ? { banner: opts.banner } : {})} />, options);
  await instance.waitUntilExit();
}
