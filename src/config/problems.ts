/**
 * Turns zod issues into ConfigProblems a person can act on: the field path
 * (`jitterBuffer.maxDelayMs`), the value as written, and what was expected
 * (the schema's `want(...)` text). Unknown keys also get the accepted keys
 * and a "did you mean" when the key looks like a typo.
 */
import type { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import { closestMatch } from './suggest.js';

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function valueAt(data: unknown, path: Path): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

/** Short, unambiguous rendering: strings quoted, long values cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  // JSON would print NaN and Infinity as null, hiding what was actually given.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Unwraps default/prefault/optional/pipe wrappers down to the schema that has a shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current: unknown = schema;
  for (let i = 0; i < 10; i++) {
    const def = (current as { _zod?: { def?: { innerType?: unknown; in?: unknown } } })._zod?.def;
    if (def?.innerType) current = def.innerType;
    else if (def?.in) current = def.in;
    else break;
  }
  return current as z.ZodType;
}

/** The keys an object schema accepts at `path`, or [] when not an object. */
export function keysAt(schema: z.ZodType, path: Path): string[] {
  let current = unwrap(schema);
  for (const key of path) {
    const def = (current as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType } } })._zod.def;
    if (def.type === 'object' && def.shape && typeof key === 'string' && def.shape[key]) current = unwrap(def.shape[key]);
    else if (def.type === 'array' && def.element && typeof key === 'number') current = unwrap(def.element);
    else return [];
  }
  const def = (current as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], input: unknown, schema: z.ZodType): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const near = closestMatch(key, allowed);
        problems.push({
          field: formatPath([...issue.path, key]),
          value: valueAt(input, [...issue.path, key]),
          expected: `one of the settings ${issue.path.length ? `in ${formatPath(issue.path)}` : 'at the top level'}: ${allowed.join(', ')}${near ? ` (did you mean ${formatPath([...issue.path, near])}?)` : ''}`,
          unknownKey: true,
        });
      }
      continue;
    }
    problems.push({ field: formatPath(issue.path), value: valueAt(input, issue.path), expected: issue.message });
  }
  return problems;
}

/** `audio.bitrate is 5; expected an integer from 6000 to 510000 (bits per second)` */
export function renderProblem(problem: ConfigProblem): string {
  const field = problem.field === '' ? 'the document' : problem.field;
  if (problem.unknownKey) return `${field} (set to ${describeValue(problem.value)}) is not a setting; expected ${problem.expected}`;
  return `${field} is ${describeValue(problem.value)}; expected ${problem.expected}`;
}
