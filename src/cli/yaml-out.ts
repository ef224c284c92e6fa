/**
 * Prints plain data (the effective config) as YAML the user can paste into a
 * config file, with an optional trailing comment per leaf (where the value
 * came from). Only what config values contain is supported: mappings,
 * sequences, strings, numbers, booleans.
 */

/** Plain scalars that YAML would read back as something else, or that start with an indicator, get quoted. */
function scalar(value: unknown): string {
  if (typeof value === 'string') {
    const plain =
      /^[A-Za-z0-9_./~@(][^#]*$/.test(value) &&
      !/: |\s$|^\s/.test(value) &&
      !/^(true|false|yes|no|on|off|null|y|n|[-+.\d].*)$/i.test(value);
    return plain ? value : JSON.stringify(value);
  }
  if (value === null || value === undefined) return 'null';
  return String(value);
}

type Comment = (dottedPath: string) => string | undefined;

const withComment = (line: string, comment: string | undefined): string => (comment ? `${line}  # ${comment}` : line);

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function emit(value: unknown, indent: string, dotted: string, comment: Comment, out: string[]): void {
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (child === undefined) continue;
    const childPath = dotted ? `${dotted}.${key}` : key;
    if (isMapping(child)) {
      out.push(`${indent}${key}:`);
      emit(child, `${indent}  `, childPath, comment, out);
    } else if (Array.isArray(child)) {
      out.push(withComment(`${indent}${key}:${child.length === 0 ? ' []' : ''}`, comment(childPath)));
      for (const item of child) emitItem(item, `${indent}  `, out);
    } else {
      out.push(withComment(`${indent}${key}: ${scalar(child)}`, comment(childPath)));
    }
  }
}

function emitItem(item: unknown, indent: string, out: string[]): void {
  if (isMapping(item)) {
    const lines: string[] = [];
    emit(item, `${indent}  `, '', () => undefined, lines);
    if (lines.length === 0) out.push(`${indent}- {}`);
    else out.push(`${indent}- ${lines[0]!.slice(indent.length + 2)}`, ...lines.slice(1));
  } else if (Array.isArray(item)) {
    out.push(`${indent}- ${JSON.stringify(item)}`);
  } else {
    out.push(`${indent}- ${scalar(item)}`);
  }
}

export function toYaml(data: Record<string, unknown>, comment: Comment = () => undefined): string {
  const out: string[] = [];
  emit(data, '', '', comment, out);
  return out.join('\n') + '\n';
}
