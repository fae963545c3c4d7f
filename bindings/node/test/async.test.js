'use strict';
// The Promise-returning variants run on libuv's thread pool: the event
// loop keeps turning while a large diff is merged or applied.
const test = require('node:test');
const assert = require('node:assert/strict');
const { weft, actorOf, tick } = require('./helpers.js');

const { Log, WeftError, BatchBuilder } = weft;

const OPS = 200000;

function bigLog() {
  const log = Log.openMemory({ actor: actorOf(0x42) });
  for (let i = 0; i < OPS; i += 10000) {
    log.appendMany(Array.from({ length: 10000 }, (_, j) => `payload ${i + j} `.padEnd(48, '.')));
  }
  return log;
}

/** Runs `work` (a promise factory) and counts the timer ticks while it runs. */
async function ticksDuring(work) {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    return { result, ticks, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

test('mergeAsync of a large diff does not block a timer on the event loop', async () => {
  const a = bigLog();
  const b = Log.openMemory();
  const { result, ticks, ms } = await ticksDuring(() => b.mergeAsync(a));
  assert.equal(result, OPS);
  assert.ok(b.digest().equals(a.digest()));
  // A blocked loop would see no tick at all until the merge ended.
  assert.ok(ticks >= 3, `only ${ticks} timer ticks during a ${ms.toFixed(0)} ms merge`);
  a.close();
  b.close();
});

test('diffAsync + applyAsync of a large diff keep the timer ticking too', async () => {
  const a = bigLog();
  const b = Log.openMemory();
  const { result, ticks, ms } = await ticksDuring(async () => {
    const batches = await a.diffAsync(b.versionVector());
    let applied = 0;
    for (const batch of batches) applied += (await b.applyAsync(batch)).applied.length;
    return applied;
  });
  assert.equal(result, OPS);
  assert.ok(b.digest().equals(a.digest()));
  assert.ok(ticks >= 3, `only ${ticks} timer ticks during a ${ms.toFixed(0)} ms diff + apply`);
  a.close();
  b.close();
});

test('async results equal the sync ones; sealAsync and verifyAsync', async () => {
  const a = Log.openMemory({ actor: actorOf(1) });
  a.appendMany(['1', '2', '3']);
  const b = Log.openMemory();
  assert.deepEqual(await a.diffAsync(b.versionVector()), a.diff(b.versionVector()));
  assert.deepEqual(await a.diffAsync(), a.diff(null, 0));
  assert.equal((await a.diffAsync(undefined, 1)).length, 3);
  const [batch] = a.diff();
  const ack = await b.applyAsync(batch);
  assert.equal(ack.applied.length, 3);
  assert.deepEqual((await b.applyAsync(batch)).duplicates, ack.applied);
  const seal = await a.sealAsync(undefined, 2);
  assert.deepEqual([seal.index, seal.first, seal.last], [0, 1, 2]);
  assert.deepEqual(await a.verifyAsync(), { ops: 3, chunks: 1 });
  assert.equal(await b.mergeAsync(a), 0);
  a.close();
  b.close();
});

test('async failures reject with WeftError codes', async () => {
  const log = Log.openMemory();
  await assert.rejects(log.applyAsync(Buffer.from('junk')), (e) => e instanceof WeftError && e.code === 'MALFORMED' && e.message.length > 0);
  await assert.rejects(log.diffAsync(Buffer.from('junk')), (e) => e instanceof WeftError && e.code === 'MALFORMED');
  await assert.rejects(log.sealAsync(actorOf(3), 1), (e) => e instanceof WeftError && e.code === 'NOT_FOUND');
  log.setEpoch(1);
  const stale = new BatchBuilder()
    .setHeader({ batchId: 1, seq: 1, epoch: 0 })
    .addOp({ id: { actor: actorOf(2), counter: 1 }, lamport: 1, payload: 'x' })
    .finish();
  await assert.rejects(log.applyAsync(stale), (e) => e.code === 'STALE_EPOCH' && e.ack.status === 'STALE_EPOCH');
  // Argument errors are thrown synchronously by the async functions' native part.
  await assert.rejects(log.applyAsync(42), TypeError);
  log.close();
  await assert.rejects(log.verifyAsync(), (e) => e instanceof WeftError && e.code === 'INVALID_ARGUMENT');
});

test('close() during async work: the work finishes, the handle is freed after it', async () => {
  const a = bigLog();
  const b = Log.openMemory();
  const logsBefore = weft.liveHandles().log;
  const merging = b.mergeAsync(a);
  a.close();
  b.close();
  assert.throws(() => b.cursor, (e) => e.code === 'INVALID_ARGUMENT');
  assert.equal(weft.liveHandles().log, logsBefore, 'still held by the running merge');
  assert.equal(await merging, OPS);
  await tick();
  assert.equal(weft.liveHandles().log, logsBefore - 2, 'released when the merge ended');
});

test('a log dropped by JS during async work stays alive until the work ends', async () => {
  const gc = require('./helpers.js').gcFunction();
  const before = weft.liveHandles().log;
  const pending = (() => {
    const a = bigLog();
    const b = Log.openMemory();
    return b.mergeAsync(a); // neither log is referenced from JS after this
  })();
  gc();
  await tick();
  gc();
  assert.equal(await pending, OPS);
  for (let i = 0; i < 10 && weft.liveHandles().log > before; i++) {
    gc();
    await tick();
  }
  assert.equal(weft.liveHandles().log, before);
});

test('many concurrent async calls on one log', async () => {
  const log = Log.openMemory();
  const peers = Array.from({ length: 8 }, (_, i) => {
    const p = Log.openMemory({ actor: actorOf(0x10 + i) });
    p.appendMany(Array.from({ length: 100 }, (_, j) => `${i}/${j}`));
    return p;
  });
  const applied = await Promise.all(peers.map((p) => log.mergeAsync(p)));
  assert.deepEqual(applied, peers.map(() => 100));
  assert.equal(log.cursor, 800);
  await Promise.all(peers.map((p) => p.mergeAsync(log)));
  for (const p of peers) assert.ok(p.digest().equals(log.digest()));
  for (const p of peers) p.close();
  log.close();
});
