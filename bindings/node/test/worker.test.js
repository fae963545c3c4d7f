'use strict';
// The addon keeps its state per instance: it loads and works inside
// worker_threads, several at once, beside the main thread's instance.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { weft } = require('./helpers.js');

const script = `
const { parentPort, workerData } = require('node:worker_threads');
const weft = require(workerData.module);
(async () => {
  const a = weft.Log.openMemory();
  const b = weft.Log.openMemory();
  a.appendMany(Array.from({ length: 1000 }, (_, i) => 'w' + workerData.n + ':' + i));
  const applied = await b.mergeAsync(a);
  let code = null;
  try { b.apply(Buffer.from('junk')); } catch (e) { code = e instanceof weft.WeftError ? e.code : 'not a WeftError'; }
  const { MemoryKvAdapter } = require(workerData.adapter);
  const conformance = weft.runConformance(new MemoryKvAdapter()).every((r) => r.outcome === 'pass');
  parentPort.postMessage({
    conformance,
    applied,
    equal: a.digest().equals(b.digest()),
    code,
    live: weft.liveHandles().log,
    version: weft.versionNumber,
  });
  a.close();
  b.close();
})().catch((e) => { throw e; });
`;

function run(n) {
  return new Promise((resolve, reject) => {
    const w = new Worker(script, { eval: true, workerData: { n, module: path.join(__dirname, '..'), adapter: path.join(__dirname, 'memory_kv_adapter.js') } });
    let message;
    w.on('message', (m) => (message = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(message) : reject(new Error(`worker exited with ${code}`))));
  });
}

test('the addon loads inside a worker thread (and a JS adapter passes the kit there)', async () => {
  const m = await run(0);
  assert.deepEqual(m, { conformance: true, applied: 1000, equal: true, code: 'MALFORMED', live: 2, version: weft.versionNumber });
});

test('several workers and the main thread at once, each with its own instance data', async () => {
  const main = weft.Log.openMemory();
  const before = weft.liveHandles().log;
  const results = await Promise.all([1, 2, 3].map(run));
  for (const m of results) assert.equal(m.applied, 1000);
  for (const m of results) assert.equal(m.live, 2, 'a worker counts only its own handles');
  assert.equal(weft.liveHandles().log, before, 'the main instance is untouched');
  main.close();
});

test('a worker terminated while async work runs does not crash the process', async () => {
  const w = new Worker(
    `const weft = require(${JSON.stringify(path.join(__dirname, '..'))});
     const a = weft.Log.openMemory();
     for (let i = 0; i < 100000; i += 10000) a.appendMany(Array.from({ length: 10000 }, (_, j) => 'p' + (i + j)));
     const b = weft.Log.openMemory();
     b.mergeAsync(a);
     require('node:worker_threads').parentPort.postMessage('started');`,
    { eval: true },
  );
  await new Promise((resolve, reject) => {
    w.on('message', resolve);
    w.on('error', reject);
  });
  await w.terminate();
  assert.ok(true);
});
