import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type DataPath = (string | number)[];

/** `/devices/3/type` (an ajv instancePath, RFC 6901) → `['devices', 3, 'type']`. */
export function pointerToPath(pointer: string): DataPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(?:0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}

/** `['devices', 3, 'type']` → `devices[3].type`, the way a reader of the YAML file thinks of it. */
export function pathToField(path: DataPath): string {
  let field = '';
  for (const segment of path) field += typeof segment === 'number' ? `[${segment}]` : field === '' ? segment : `.${segment}`;
  return field;
}

/**
 * The 1-based line of the node at `path`, or of its closest existing ancestor (a missing required
 * property is reported on its parent's line). With `atKey`, points at the key itself, which is
 * where an unknown property is.
 */
export function lineOf(doc: Document, lineCounter: LineCounter, path: DataPath, atKey = false): number {
  let node: unknown = doc.contents;
  let line = node && (node as Node).range ? lineCounter.linePos((node as Node).range![0]).line : 1;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyName(item.key) === String(segment));
      next = pair?.value;
      keyNode = pair?.key;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    const target = atKey && i === path.length - 1 && keyNode ? keyNode : next;
    const range = (target as Node | undefined)?.range ?? (keyNode as Node | undefined)?.range;
    if (!range) break;
    line = lineCounter.linePos(range[0]).line;
    node = next;
  }
  return line;
}

function keyName(key: unknown): string | undefined {
  if (key && typeof key === 'object' && 'value' in key) return String((key as { value: unknown }).value);
  return typeof key === 'string' ? key : undefined;
}
