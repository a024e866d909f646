'use strict';
// JSON <-> key=value helpers for testcores/generate, run with any Node >= 18.
//
//   node jsonenv.js flatten FILE.json      print FILE.json as key=value lines
//   node jsonenv.js tojson FILE.env KEY..  print FILE.env as a JSON object;
//                                          the listed keys become numbers
//   node jsonenv.js manifest CACHE_DIR     write CACHE_DIR/manifest.json
//
// The key=value format (meta.env, side.env) is what the Rust tests read
// (tests/common/mod.rs): one `key=value` per line, nested keys joined with
// '.', array elements numbered from 0 (`expected.js_names.0=inner`), null
// written as `null`, and in values `\` `\n` `\r` `\t` escaped as
// `\\` `\n` `\r` `\t`.
const fs = require('fs');
const path = require('path');

function escape(s) {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

function unescape(s) {
  return s.replace(/\\(.)/g, (_m, c) => ({ n: '\n', r: '\r', t: '\t' })[c] || c);
}

function flatten(value, prefix, out) {
  if (value === null || value === undefined) {
    out.push(`${prefix}=null`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push(`${prefix}=${escape(String(value))}`);
  }
  return out;
}

function readEnv(file) {
  const obj = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (line.trim() === '' || line.startsWith('#') || eq < 0) continue;
    obj[line.slice(0, eq)] = unescape(line.slice(eq + 1));
  }
  return obj;
}

// Numeric fields of meta.env.
const META_NUMBERS = ['node_major', 'pid', 'exit_signal', 'core_signal', 'threads', 'core_bytes', 'seconds'];

function tojson(file, numeric) {
  const obj = readEnv(file);
  for (const k of numeric) if (k in obj && obj[k] !== '') obj[k] = Number(obj[k]);
  return obj;
}

function manifest(cacheDir) {
  const coresDir = path.join(cacheDir, 'cores');
  const cores = [];
  const labels = fs.existsSync(coresDir) ? fs.readdirSync(coresDir).sort() : [];
  for (const label of labels) {
    const labelDir = path.join(coresDir, label);
    if (!fs.statSync(labelDir).isDirectory()) continue;
    for (const fixture of fs.readdirSync(labelDir).sort()) {
      const dir = path.join(labelDir, fixture);
      if (!fs.existsSync(path.join(dir, 'done'))) continue; // incomplete
      const meta = tojson(path.join(dir, 'meta.env'), META_NUMBERS);
      cores.push({ dir: path.relative(cacheDir, dir), ...meta });
    }
  }
  const out = { generated_at: new Date().toISOString(), cores_dir: 'cores', count: cores.length, cores };
  fs.writeFileSync(path.join(cacheDir, 'manifest.json.tmp'), JSON.stringify(out, null, 2) + '\n');
  fs.renameSync(path.join(cacheDir, 'manifest.json.tmp'), path.join(cacheDir, 'manifest.json'));
  return cores.length;
}

const [cmd, arg, ...rest] = process.argv.slice(2);
if (cmd === 'flatten') {
  const lines = flatten(JSON.parse(fs.readFileSync(arg, 'utf8')), '', []);
  process.stdout.write(lines.join('\n') + '\n');
} else if (cmd === 'tojson') {
  process.stdout.write(JSON.stringify(tojson(arg, rest.length ? rest : META_NUMBERS), null, 2) + '\n');
} else if (cmd === 'manifest') {
  process.stdout.write(`${manifest(arg)}\n`);
} else {
  process.stderr.write('usage: jsonenv.js flatten FILE.json | tojson FILE.env [KEY..] | manifest CACHE_DIR\n');
  process.exit(2);
}
