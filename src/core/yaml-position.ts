import { isCollection, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** A path into parsed YAML data: mapping keys and sequence indexes. */
export type YamlPath = (string | number)[];

/** 1-based line and column in a YAML source. */
export interface YamlPosition {
  line: number;
  column: number;
}

/**
 * The 1-based position of a field in a YAML document, for error messages operators can act on: its
 * value, or its key when asked (unknown fields) or when the value is a block collection that starts
 * on the next line. A path that does not exist (a missing required field) resolves to its nearest
 * existing parent. Shared by the scenario loader and the dispatch policy loader.
 */
export function locateNode(doc: Document, lineCounter: LineCounter, path: YamlPath, atKey: boolean): YamlPosition {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === segment);
      if (!pair) break;
      key = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      key = undefined;
      node = node.items[segment];
    } else {
      break;
    }
  }
  const blockCollection = isCollection(node) && !node.flow;
  const target = (atKey || blockCollection) && rangeOf(key) ? key : rangeOf(node) ? node : key;
  const { line, col } = lineCounter.linePos(rangeOf(target)?.[0] ?? 0);
  return { line, column: col };
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range ?? undefined;
}
