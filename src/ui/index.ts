/** Public surface of the terminal UI. */
export { App, type AppProps } from './App.js';
export { runTui, KITTY_FLAGS, type RunTuiOptions } from './run-tui.js';
export { DEFAULT_KEY_BINDINGS, resolveKeyBindings, keyLabel, type KeyBindings } from './keymap.js';
export { useSessionSnapshot, type UseSessionOptions } from './use-session.js';
export { CoalescingThrottle, DEFAULT_REDRAW_INTERVAL_MS } from './throttle.js';
export { levelBar } from './format.js';
