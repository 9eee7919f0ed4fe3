import { readFileSync } from 'node:fs';
const snap = JSON.parse(readFileSync('/tmp/rw.heapsnapshot', 'utf8'));
const f = snap.snapshot.meta.node_fields; const types = snap.snapshot.meta.node_types[0];
const nf = f.length; const nodes = snap.nodes; const strings = snap.strings;
const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
const agg = new Map();
for (let i = 0; i < nodes.length; i += nf) {
  const t = types[nodes[i + iType]]; let name = strings[nodes[i + iName]];
  if (t === 'string' || t === 'concatenated string' || t === 'sliced string') name = '(string)';
  else if (t === 'code' || t === 'closure' && false) name = `(${t})`;
  else name = `${t}:${name.slice(0, 50)}`;
  const a = agg.get(name) ?? [0, 0]; a[0] += nodes[i + iSize]; a[1]++; agg.set(name, a);
}
const N = 20000;
for (const [k, [size, count]] of [...agg.entries()].sort((a, b) => b[1][0] - a[1][0]).slice(0, 40)) console.log((size / N).toFixed(1).padStart(8), 'B/dev', String(count).padStart(8), k);
