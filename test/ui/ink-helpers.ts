/**
 * Test helper (not a test): render an Ink element and drive it by keys, the
 * way the App tests do.
 */
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/** Let Ink run its effects (raw mode, input listener) and flush pending input. */
export const settle = async (): Promise<void> => {
  // setImmediate first: Ink flushes a lone ESC and React runs effects on the
  // check phase; a timer alone can fire before them on a loaded machine.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 5));
  await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Render `element`, settle, and return it with `press` (keys written one by one, settling after each) and `frame`. */
export async function mountInk(element: ReactElement) {
  const r = render(element);
  await settle();
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      await settle();
    }
  };
  return { ...r, press, frame: (): string => r.lastFrame() ?? '' };
}
