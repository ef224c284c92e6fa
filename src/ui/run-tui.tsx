/**
 * Mount the UI on a terminal and resolve once the user has left the room and
 * Ink has restored the terminal.
 */
import { render, type KittyFlagName, type RenderOptions } from 'ink';
import type { SessionController } from '../engine/session-api.js';
import { App } from './App.js';

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
  const options: RenderOptions = {
    // Ctrl-C must leave the room cleanly (App handles it), not just unmount.
    exitOnCtrlC: false,
  };
  // Only set streams that were given: an explicit undefined would override Ink's process defaults.
  if (opts.stdout !== undefined) options.stdout = opts.stdout;
  if (opts.stdin !== undefined) options.stdin = opts.stdin;
  if (opts.patchConsole === false) options.patchConsole = false;
  if (opts.kittyKeyboard !== false) options.kittyKeyboard = { mode: 'auto', flags: KITTY_FLAGS };
  const instance = render(<App controller={controller} />, options);
  await instance.waitUntilExit();
}
