'use strict';
// Counts objects per constructor in a V8 heap snapshot and records the
// counts in a fixture's side.json, for testcores/generate.
//
//   node snapcount.js SNAPSHOT SIDE.json
//
// Adds to side.json:
//   expected.snapshot.<Name> = number of nodes of type "object" named Name,
//     for every Name in expected.classes, plus "Array";
//   expected.snapshot_size.<Name> = their total self (shallow) size in bytes;
//   expected.snapshot_arrays.<len> = number of "Array" object nodes with
//     exactly <len> element edges, for every length in expected.arrays
//     (the fixture's arrays hold strings, so each element is an edge).
// The snapshot holds only objects V8 found live after its own full GC: the
// oracle for ::findjsobjects' counts.
const fs = require('fs');

function main() {
  const [snapFile, sideFile] = process.argv.slice(2);
  if (!snapFile || !sideFile) {
    console.error('usage: node snapcount.js SNAPSHOT SIDE.json');
    process.exit(2);
  }
  const snap = JSON.parse(fs.readFileSync(snapFile, 'utf8'));
  const side = JSON.parse(fs.readFileSync(sideFile, 'utf8'));
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields;
  const ef = meta.edge_fields;
  const nodeTypes = meta.node_types[nf.indexOf('type')];
  const edgeTypes = meta.edge_types[ef.indexOf('type')];
  const iType = nf.indexOf('type');
  const iName = nf.indexOf('name');
  const iEdges = nf.indexOf('edge_count');
  const iSize = nf.indexOf('self_size');
  const ieType = ef.indexOf('type');
  const objectType = nodeTypes.indexOf('object');
  const elementEdge = edgeTypes.indexOf('element');
  const { nodes, edges, strings } = snap;

  const wanted = new Set([...(side.expected.classes || []), 'Array']);
  const lengths = new Set(Object.keys(side.expected.arrays || {}).map(Number));
  const counts = {};
  const sizes = {};
  for (const n of wanted) {
    counts[n] = 0;
    sizes[n] = 0;
  }
  const arrays = {};
  for (const l of lengths) arrays[l] = 0;

  let e = 0;
  for (let i = 0; i < nodes.length; i += nf.length) {
    const nEdges = nodes[i + iEdges];
    const name = strings[nodes[i + iName]];
    if (nodes[i + iType] === objectType && wanted.has(name)) {
      counts[name] += 1;
      sizes[name] += nodes[i + iSize];
      if (name === 'Array') {
        let elems = 0;
        for (let k = 0; k < nEdges; k++) {
          if (edges[(e + k) * ef.length + ieType] === elementEdge) elems += 1;
        }
        if (lengths.has(elems)) arrays[elems] += 1;
      }
    }
    e += nEdges;
  }
  side.expected.snapshot = counts;
  side.expected.snapshot_size = sizes;
  side.expected.snapshot_arrays = arrays;
  fs.writeFileSync(sideFile + '.tmp', JSON.stringify(side, null, 2) + '\n');
  fs.renameSync(sideFile + '.tmp', sideFile);
  console.log(JSON.stringify({ counts, arrays }));
}

main();
