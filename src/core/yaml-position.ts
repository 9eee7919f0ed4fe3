import { isCollection, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** A path into parsed YAML data: mapping keys and sequence indexes (`['rules', 2, 'when']`). */
export type YamlPath = (string | number)[];

/** 1-based line and column in a YAML source. */
export interface YamlPosition {
  line: number;
  column: number;
}

export interface LocateOptions {
  /**
   * Point at the field's key rather than at its value: where an unknown field is written. For a
   * field that does not exist (a missing required one), the key of its nearest existing parent.
   */
  atKey?: boolean;
  /**
   * Which line stands for a value that spans several. 'key' (the default): a block mapping or list
   * is reported at its key, the line above its first entry, which is where a reader looks for the
   * field. 'value': at the value's own first line, and `atKey` applies only to a field that
   * exists — the lines the registry loader has always reported, kept so they do not move.
   */
  anchor?: 'key' | 'value';
  /**
   * Match mapping keys by their text, so that the path segment `'1'` (data keys are strings) finds
   * the key written `1:` (a number). Off by default only because the scenario and policy loaders
   * have always matched the scalar's value, and the positions they report must not move silently.
   */
  keysAsText?: boolean;
}

/**
 * The 1-based position of a field in a YAML document, for error messages operators can act on: its
 * value, or its key when asked (unknown fields) or when the value is a block collection that starts
 * on the next line (see LocateOptions.anchor). A path that does not exist (a missing required field)
 * resolves to its nearest existing parent; an empty document to 1:1.
 */
export function locateNode(doc: Document, lineCounter: LineCounter, path: YamlPath, options: LocateOptions = {}): YamlPosition {
  const { atKey = false, anchor = 'key', keysAsText = false } = options;
  const { key, node, complete } = walk(doc, path, keysAsText);
  const keyFirst = anchor === 'key' ? atKey || (isCollection(node) && !node.flow) : atKey && complete;
  const target = keyFirst && rangeOf(key) ? key : rangeOf(node) ? node : key;
  const { line, col } = lineCounter.linePos(rangeOf(target)?.[0] ?? 0);
  return { line, column: col };
}

/**
 * The deepest node `path` reaches, with the key it sits under (none for a list item or the root)
 * and whether the whole path was found.
 */
function walk(doc: Document, path: YamlPath, keysAsText: boolean): { key: unknown; node: unknown; complete: boolean } {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && (keysAsText ? String(item.key.value) === String(segment) : item.key.value === segment));
      if (!pair) return { key, node, complete: false };
      key = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      key = undefined;
      node = node.items[segment];
    } else {
      return { key, node, complete: false };
    }
  }
  return { key, node, complete: true };
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range ?? undefined;
}
