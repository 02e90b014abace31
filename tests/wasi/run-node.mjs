// Reference check: runs the corpus under Node.js's node:wasi (preview1) the way
// manifest.txt describes and compares stdout / exit status with NAME.expected.
// Node is a reference only (see README.md for its known differences).
//
//   node --no-warnings tests/wasi/run-node.mjs [c/NAME | rust/NAME ...]
import { WASI } from 'node:wasi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseManifest() {
  const rows = new Map();
  for (const raw of fs.readFileSync(path.join(here, 'manifest.txt'), 'utf8').split('\n')) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const f = raw.split('|').map((s) => s.trim());
    if (f.length !== 6) throw new Error(`bad manifest line: ${raw}`);
    const [name, args, env, stdin, status, setup] = f;
    rows.set(name, {
      name,
      args: args === '-' ? [] : args.split(/\s+/),
      env: env === '-' ? {} : Object.fromEntries(env.split(';').map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      })),
      stdin: stdin === '-' ? null : path.join(here, stdin),
      socket: stdin.startsWith('socket:'),
      status: Number(status),
      setup: setup === '-' ? [] : setup.split(';'),
    });
  }
  return rows;
}

async function runOne(row) {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'waot-wasi-'));
  const root = path.join(top, 'root');
  fs.mkdirSync(root);
  const outside = new Map();
  for (const item of row.setup) {
    const [kind, rest] = [item.slice(0, item.indexOf(':')), item.slice(item.indexOf(':') + 1)];
    const eq = rest.indexOf('=');
    if (kind === 'dir') fs.mkdirSync(path.join(root, rest), { recursive: true });
    else if (kind === 'file') fs.writeFileSync(path.join(root, rest.slice(0, eq)), rest.slice(eq + 1));
    else if (kind === 'symlink') fs.symlinkSync(rest.slice(eq + 1), path.join(root, rest.slice(0, eq)));
    else if (kind === 'outside') {
      fs.writeFileSync(path.join(top, rest.slice(0, eq)), rest.slice(eq + 1));
      outside.set(rest.slice(0, eq), rest.slice(eq + 1));
    } else throw new Error(`bad setup item ${item}`);
  }
  const stdinFd = fs.openSync(row.stdin ?? '/dev/null', 'r');
  const outPath = path.join(top, 'stdout'), errPath = path.join(top, 'stderr');
  const outFd = fs.openSync(outPath, 'w'), errFd = fs.openSync(errPath, 'w');
  const wasi = new WASI({
    version: 'preview1',
    args: [path.basename(row.name), ...row.args],
    env: row.env,
    preopens: { '.': root },
    stdin: stdinFd, stdout: outFd, stderr: errFd,
    returnOnExit: true,
  });
  let status, problem = null;
  try {
    const mod = await WebAssembly.compile(fs.readFileSync(path.join(here, row.name + '.wasm')));
    const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
    status = wasi.start(inst) ?? 0;
  } catch (e) {
    problem = `threw ${e}`;
  }
  for (const fd of [stdinFd, outFd, errFd]) fs.closeSync(fd);
  const got = fs.readFileSync(outPath, 'utf8');
  const want = fs.readFileSync(path.join(here, row.name + '.expected'), 'utf8');
  const problems = [];
  if (problem) problems.push(problem);
  if (status !== row.status) problems.push(`exit status ${status}, want ${row.status}`);
  if (got !== want) {
    const g = got.split('\n'), w = want.split('\n');
    for (let i = 0; i < Math.max(g.length, w.length); i++) {
      if (g[i] !== w[i]) problems.push(`stdout line ${i + 1}: got ${JSON.stringify(g[i])}, want ${JSON.stringify(w[i])}`);
    }
  }
  for (const [name, content] of outside) {
    const now = fs.existsSync(path.join(top, name)) ? fs.readFileSync(path.join(top, name), 'utf8') : null;
    if (now !== content) problems.push(`outside file ${name} changed`);
  }
  const expectTop = new Set(['root', 'stdout', 'stderr', ...outside.keys()]);
  for (const e of fs.readdirSync(top)) if (!expectTop.has(e)) problems.push(`created outside the preopen: ${e}`);
  const stderr = fs.readFileSync(errPath, 'utf8');
  fs.rmSync(top, { recursive: true, force: true });
  return { problems, stderr };
}

const rows = parseManifest();
// Each program runs in a child process (`--one NAME`, result as JSON on stdout)
// so that a program that hangs under node:wasi is killed after 30 s.
if (process.argv[2] === '--one') {
  process.stdout.write(JSON.stringify(await runOne(rows.get(process.argv[3]))));
  process.exit(0);
}
const names = process.argv.length > 2 ? process.argv.slice(2) : [...rows.keys()];
let bad = 0;
for (const name of names) {
  const row = rows.get(name);
  if (!row) { console.log(`${name}: not in manifest.txt`); bad++; continue; }
  // node:wasi cannot be given a socket as stdin.
  if (row.socket) { console.log(`${name}: skipped (needs a socket peer)`); continue; }
  // node:wasi implements no wasi-threads (`wasi::thread-spawn`).
  if (name === 'rust/threads') { console.log(`${name}: skipped (needs wasi-threads)`); continue; }
  const child = spawnSync(process.execPath, ['--no-warnings', fileURLToPath(import.meta.url), '--one', name],
    { encoding: 'utf8', timeout: 30000 });
  let result;
  try {
    result = JSON.parse(child.stdout);
  } catch {
    result = { problems: [child.error ? `runner: ${child.error.code} (hung under node:wasi?)` : `runner failed: ${child.stderr}`], stderr: '' };
  }
  const { problems, stderr } = result;
  if (problems.length) {
    bad++;
    console.log(`${name}: DIFFERS`);
    for (const p of problems) console.log(`  ${p}`);
    if (stderr) console.log(`  stderr: ${JSON.stringify(stderr)}`);
  } else {
    console.log(`${name}: ok`);
  }
}
process.exit(bad ? 1 : 0);
