/**
 * Small DOM helpers. Text goes in with textContent and attributes with
 * setAttribute only: peer names are remote input and must never be parsed as
 * HTML. The `set*` helpers write only on change, because snapshots arrive
 * ten times a second and most of a row stays the same.
 */

export type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly className?: string;
  readonly text?: string;
  /** Attributes, set with setAttribute; false/undefined leaves one out. */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: ElementProps = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (props.className !== undefined) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    node.addEventListener(type, listener as EventListener);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? doc.createTextNode(child) : child);
  }
  return node;
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

export function setHidden(node: HTMLElement, hidden: boolean): void {
  if (node.hidden !== hidden) node.hidden = hidden;
}

export function setClass(node: Element, name: string, on: boolean): void {
  if (node.classList.contains(name) !== on) node.classList.toggle(name, on);
}

/** The class the stylesheet colours a TUI tone with (`tone-red` …). */
export function setTone(node: Element, tone: string | undefined): void {
  for (const cls of Array.from(node.classList)) if (cls.startsWith('tone-') && cls !== `tone-${tone}`) node.classList.remove(cls);
  if (tone !== undefined) setClass(node, `tone-${tone}`, true);
}

/**
 * A level meter: an element with role=meter (and aria-valuenow for the
 * screen readers that do not know that role yet) holding a bar whose width
 * is set through the CSSOM, which the page's style-src 'self' allows.
 */
export interface Meter {
  readonly element: HTMLElement;
  set(percent: number): void;
}

export function meter(doc: Document, label: string): Meter {
  const bar = el(doc, 'span', { className: 'meter-bar' });
  const element = el(doc, 'span', {
    className: 'meter',
    attrs: { role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 },
  }, [bar]);
  bar.style.width = '0%';
  let shown = 0;
  return {
    element,
    set(percent: number): void {
      if (percent === shown) return;
      shown = percent;
      bar.style.width = `${percent}%`;
      element.setAttribute('aria-valuenow', String(percent));
    },
  };
}

/**
 * The polite live region. It lives for the whole page (a region added at the
 * same time as its text is often not read). Each batch empties it first and
 * writes after a beat, so the same sentence twice is read twice; sentences
 * said within that beat are read together.
 */
export class LiveRegion {
  readonly element: HTMLElement;
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(doc: Document) {
    this.element = el(doc, 'div', { className: 'visually-hidden', attrs: { 'aria-live': 'polite', role: 'status' } });
  }

  say(sentences: readonly string[]): void {
    if (sentences.length === 0) return;
    this.pending.push(...sentences);
    if (this.timer !== undefined) return;
    this.element.textContent = '';
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.element.textContent = this.pending.join(' ');
      this.pending = [];
    }, 50);
  }

  destroy(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
