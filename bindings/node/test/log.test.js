'use strict';
// The Log API: append, read, apply, convergence, errors, sealing, SQLite.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { weft, actorOf } = require('./helpers.js');

const { Log, BatchBuilder, WeftError, Status, decodeBatch } = weft;

const isWeft = (code) => (e) => {
  assert.ok(e instanceof WeftError, `expected a WeftError, got ${e}`);
  assert.ok(e instanceof Error);
  assert.equal(e.code, code, e.message);
  assert.equal(e.status, Status[code]);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  return true;
};

/** Exchanges diffs both ways through the encoded version vectors and batches. */
function sync(a, b) {
  let applied = 0;
  for (const [from, to] of [[a, b], [b, a]]) {
    for (const batch of from.diff(to.versionVector())) applied += to.apply(batch).applied.length;
  }
  return applied;
}

function assertConverged(...logs) {
  const [first, ...rest] = logs;
  for (const l of rest) {
    assert.ok(l.digest().equals(first.digest()), 'digests differ');
    assert.deepEqual(l.canonicalOrder(), first.canonicalOrder());
    assert.deepEqual(l.heads(), first.heads());
    assert.equal(l.cursor, first.cursor);
  }
}

test('append accepts Buffer, Uint8Array, ArrayBuffer and string payloads, and read returns them', () => {
  const log = Log.openMemory({ actor: actorOf(1) });
  assert.equal(log.actor, actorOf(1));
  const ids = [
    log.append(Buffer.from('buf'), 1),
    log.append(new Uint8Array([1, 2, 3]), 2),
    log.append(new Uint8Array([9, 8, 7]).buffer, 3),
    log.append('text é', 4),
    log.append(''),
  ];
  assert.deepEqual(ids.map((id) => id.counter), [1, 2, 3, 4, 5]);
  for (const id of ids) assert.equal(id.actor, actorOf(1));
  const ops = [...log.read()];
  assert.deepEqual(ops.map((o) => o.payload.toString('hex')), ['627566', '010203', '090807', Buffer.from('text é').toString('hex'), '']);
  assert.deepEqual(ops.map((o) => o.kind), [1, 2, 3, 4, 0]);
  assert.deepEqual(ops.map((o) => o.cursor), [1, 2, 3, 4, 5]);
  assert.deepEqual(ops.map((o) => o.lamport), [1, 2, 3, 4, 5]);
  for (const o of ops) {
    assert.equal(o.hash.length, 32);
    assert.equal(typeof o.timestampMs, 'number');
  }
  assert.equal(log.cursor, 5);
  log.close();
});

test('appendMany is one transaction; deps and timestamps can be explicit', () => {
  const a = Log.openMemory({ actor: actorOf(1) });
  const b = Log.openMemory({ actor: actorOf(2) });
  const [b1] = b.appendMany(['from b']);
  a.merge(b);
  const ids = a.appendMany([
    'plain payload, default kind',
    { payload: 'with kind', kind: 9 },
    { payload: 'explicit', deps: [b1], timestampMs: 42 },
  ], 7);
  assert.equal(ids.length, 3);
  assert.equal(a.get(ids[0]).kind, 7);
  assert.equal(a.get(ids[1]).kind, 9);
  const op = a.get(ids[2]);
  assert.deepEqual(op.deps, [b1]);
  assert.equal(op.timestampMs, 42);
  const single = a.append('negative time', 1, { timestampMs: -5, deps: [] });
  assert.equal(a.get(single).timestampMs, -5);
  // All or none: a missing dependency fails the whole call.
  const before = a.cursor;
  assert.throws(
    () => a.appendMany(['ok', { payload: 'bad', deps: [{ actor: actorOf(3), counter: 1 }] }]),
    isWeft('MISSING_DEPENDENCY'),
  );
  assert.equal(a.cursor, before);
  assert.deepEqual(a.appendMany([]), []);
  a.close();
  b.close();
});

test('get answers the op or null, and accepts bigint counters', () => {
  const log = Log.openMemory();
  const id = log.append('x', 3);
  assert.deepEqual(log.get(id).id, id);
  assert.deepEqual(log.get({ actor: id.actor, counter: 1n }).id, id);
  assert.deepEqual(log.get({ actor: Buffer.from(id.actor, 'hex'), counter: 1 }).id, id);
  assert.equal(log.get({ actor: id.actor, counter: 2 }), null);
  assert.throws(() => log.get({ actor: 'nothex', counter: 1 }), TypeError);
  assert.throws(() => log.get({ actor: id.actor, counter: -1 }), RangeError);
  log.close();
});

test('read(from, max) pages through the log and stops early on break', () => {
  const log = Log.openMemory();
  log.appendMany(Array.from({ length: 3000 }, (_, i) => `op ${i}`));
  assert.deepEqual([...log.read(2, 3)].map((o) => o.cursor), [2, 3, 4]);
  assert.equal([...log.read(2999)].length, 2);
  assert.equal([...log.read(5000)].length, 0);
  assert.equal([...log].length, 3000);
  const it = log.read();
  assert.equal(typeof it[Symbol.iterator], 'function');
  const iters = weft.liveHandles().iter;
  let n = 0;
  for (const op of it) {
    assert.equal(op.cursor, ++n);
    if (n === 10) break;
  }
  assert.equal(weft.liveHandles().iter, iters - 1, 'break released the native iterator');
  assert.deepEqual(it.next(), { done: true, value: undefined });
  log.close();
});

test('two logs converge: equal digests, canonical orders and heads after diffs both ways', () => {
  const a = Log.openMemory({ actor: actorOf(0xa) });
  const b = Log.openMemory({ actor: actorOf(0xb) });
  for (let i = 0; i < 50; i++) {
    a.append(`a${i}`, 1);
    b.append(`b${i}`, 2);
  }
  assert.ok(!a.digest().equals(b.digest()));
  assert.equal(sync(a, b), 100);
  assertConverged(a, b);
  assert.equal(a.cursor, 100);
  assert.equal(sync(a, b), 0, 'nothing left to exchange');
  // Concurrent appends after the sync depend on the merged heads.
  const ia = a.append('after');
  assert.equal(a.get(ia).deps.length, 1);
  b.append('after too');
  sync(a, b);
  assertConverged(a, b);
  assert.equal(a.heads().length, 2);
  a.close();
  b.close();
});

test('merge() in process converges three logs in any order', () => {
  const logs = [1, 2, 3].map((n) => Log.openMemory({ actor: actorOf(n) }));
  logs.forEach((l, n) => l.appendMany(Array.from({ length: 10 + n }, (_, i) => `${n}:${i}`)));
  assert.equal(logs[0].merge(logs[1]), 11);
  assert.equal(logs[2].merge(logs[0]), 21);
  assert.equal(logs[1].merge(logs[2]), 22);
  assert.equal(logs[0].merge(logs[2]), 12);
  assert.equal(logs[0].merge(logs[0]), 0);
  assertConverged(...logs);
  for (const l of logs) l.close();
});

test('a lost ack: the retried batch answers duplicates and changes nothing', () => {
  const a = Log.openMemory();
  const b = Log.openMemory();
  a.appendMany(['one', 'two', 'three']);
  const [batch] = a.diff(b.versionVector());
  const first = b.apply(batch); // imagine this ack never reached a
  assert.equal(first.status, 'OK');
  assert.equal(first.applied.length, 3);
  const digest = b.digest();
  const retry = b.apply(batch);
  assert.equal(retry.status, 'OK');
  assert.deepEqual(retry.applied, []);
  assert.deepEqual(retry.duplicates, first.applied);
  assert.deepEqual(retry.rejected, []);
  assert.equal(retry.cursor, 3);
  assert.ok(b.digest().equals(digest));
  assert.ok(weft.encodeAck(retry).length > 0);
  assert.deepEqual(weft.decodeAck(weft.encodeAck(retry)).duplicates, retry.duplicates);
  a.close();
  b.close();
});

test('per-op rejections are in the ack with their code names: CONFLICT, MISSING_DEPENDENCY, CURSOR_MISMATCH', () => {
  const log = Log.openMemory({ actor: actorOf(1) });
  const id = log.append('original', 1, { timestampMs: 1000 });
  const forged = new BatchBuilder()
    .setHeader({ batchId: 5, seq: 2, epoch: 0 })
    .addOp({ id, lamport: 1, kind: 1, timestampMs: 1000, payload: 'forged' })
    .addOp({ id: { actor: actorOf(2), counter: 2 }, lamport: 1, payload: 'gap' })
    .finish();
  const ack = log.apply(forged);
  assert.equal(ack.status, 'OK');
  assert.equal(ack.batchId, 5);
  assert.equal(ack.seq, 2);
  assert.deepEqual(ack.applied, []);
  assert.deepEqual(ack.rejected, [
    { id, code: 'CONFLICT' },
    { id: { actor: actorOf(2), counter: 2 }, code: 'MISSING_DEPENDENCY' },
  ]);
  assert.equal(log.get(id).payload.toString(), 'original');
  const cas = new BatchBuilder()
    .setHeader({ batchId: 6, seq: 3, epoch: 0, expectedCursor: 7 })
    .addOp({ id: { actor: actorOf(3), counter: 1 }, lamport: 1, payload: 'x' })
    .finish();
  assert.equal(decodeBatch(cas).expectedCursor, 7);
  assert.deepEqual(log.apply(cas).rejected, [{ id: { actor: actorOf(3), counter: 1 }, code: 'CURSOR_MISMATCH' }]);
  log.close();
});

test('a batch refused as a whole throws: STALE_EPOCH below the epoch, PERMISSION_DENIED above', () => {
  const a = Log.openMemory();
  const b = Log.openMemory();
  a.append('x');
  const [batch] = a.diff(b.versionVector()); // diff batches carry epoch 0
  b.setEpoch(2);
  assert.equal(b.epoch, 2);
  assert.throws(() => b.apply(batch), (e) => {
    isWeft('STALE_EPOCH')(e);
    assert.equal(e.retryable, false);
    assert.equal(e.ack.status, 'STALE_EPOCH');
    assert.deepEqual(e.ack.applied, []);
    return true;
  });
  const future = new BatchBuilder()
    .setHeader({ batchId: 1, seq: 1, epoch: 3 })
    .addOp({ id: { actor: actorOf(4), counter: 1 }, lamport: 1, payload: 'x' })
    .finish();
  assert.throws(() => b.apply(future), isWeft('PERMISSION_DENIED'));
  assert.equal(b.cursor, 0, 'nothing applied');
  assert.throws(() => b.setEpoch(1), isWeft('INVALID_ARGUMENT'));
  a.close();
  b.close();
});

test('diff(vv, max, epoch) stamps the receiver\'s epoch where weft.h allows it', () => {
  const a = Log.openMemory();
  const b = Log.openMemory();
  a.setEpoch(2);
  b.setEpoch(2);
  a.append('x');
  // Stamped with the receiver's epoch, a diff applies; with the default 0,
  // a receiver at epoch 2 refuses it.
  const [batch] = a.diff(b.versionVector(), 0, b.epoch);
  assert.equal(decodeBatch(batch).epoch, 2);
  assert.throws(() => b.apply(a.diff(b.versionVector())[0]), isWeft('STALE_EPOCH'));
  assert.equal(b.apply(batch).applied.length, 1);
  a.close();
  b.close();
});

test('malformed input throws MALFORMED with the message of weft_last_error()', () => {
  const log = Log.openMemory();
  assert.throws(() => log.apply(Buffer.from('not a batch')), (e) => isWeft('MALFORMED')(e) && /WEFT/.test(e.message));
  assert.throws(() => log.diff(Buffer.from('not a vv')), isWeft('MALFORMED'));
  assert.throws(() => weft.decodeBatch(new Uint8Array(3)), isWeft('MALFORMED'));
  assert.throws(() => weft.decodeAck(Buffer.alloc(0)), (e) => e instanceof WeftError);
  assert.throws(() => log.apply('a string is not bytes'), TypeError);
  log.close();
});

test('seal, chunkGet, chunkPut, chunkVerify and verify', () => {
  const a = Log.openMemory({ actor: actorOf(5) });
  a.appendMany(['1', '2', '3', '4', '5']);
  const s0 = a.seal(undefined, 3);
  assert.deepEqual([s0.actor, s0.index, s0.first, s0.last], [actorOf(5), 0, 1, 3]);
  assert.ok(s0.prevDigest.equals(Buffer.alloc(32)));
  assert.deepEqual(a.seal(actorOf(5), 3), s0, 'sealing the same range answers the existing seal');
  assert.throws(() => a.seal(actorOf(5), 5, Buffer.alloc(32, 1)), isWeft('CHECKSUM_MISMATCH'));
  const s1 = a.seal(actorOf(5), 5, undefined);
  assert.ok(s1.prevDigest.equals(s0.digest));
  assert.throws(() => a.seal(actorOf(9), 1), isWeft('NOT_FOUND'));
  const c0 = a.chunkGet(actorOf(5), 0);
  const c1 = a.chunkGet(undefined, 1);
  assert.deepEqual(weft.chunkVerify(c0, s0), s0);
  assert.deepEqual(a.chunkVerify(c1), s1);
  assert.equal(weft.decodeChunk(c1).ops.length, 2);
  assert.deepEqual(a.verify(), { ops: 5, chunks: 2 });

  const b = Log.openMemory();
  assert.throws(() => b.chunkPut(c1), isWeft('NOT_CONTIGUOUS'));
  assert.deepEqual(b.chunkPut(c0, s0.digest), s0);
  assert.deepEqual(b.chunkPut(c1, s1.digest.toString('hex')), s1);
  assert.equal(b.cursor, 5);
  assert.deepEqual(b.verify(), { ops: 5, chunks: 2 });
  assert.ok(a.digest().equals(b.digest()));
  a.close();
  b.close();
});

test('close() frees early; later calls throw INVALID_ARGUMENT "closed"; close is idempotent', () => {
  const a = Log.openMemory();
  const b = Log.openMemory();
  a.append('x');
  const it = a.read();
  const before = weft.liveHandles().log;
  a.close();
  assert.equal(a.closed, true);
  assert.equal(weft.liveHandles().log, before - 1);
  a.close();
  assert.throws(() => a.append('y'), (e) => isWeft('INVALID_ARGUMENT')(e) && /closed/.test(e.message));
  assert.throws(() => a.cursor, isWeft('INVALID_ARGUMENT'));
  assert.throws(() => b.merge(a), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => b.merge({}), TypeError);
  // An iterator keeps its log alive in the C ABI: it still reads.
  assert.equal([...it].length, 1);
  const builder = new BatchBuilder();
  builder.close();
  assert.throws(() => builder.finish(), isWeft('INVALID_ARGUMENT'));
  b.close();
});

test('Log cannot be constructed directly', () => {
  assert.throws(() => new Log(), TypeError);
});

test('version: the header the addon was built with matches the library loaded', () => {
  assert.equal(weft.versionNumber, weft.headerVersionNumber);
  assert.match(weft.version, /^\d+\.\d+\.\d+$/);
  assert.equal(weft.statusName(8), 'CONFLICT');
  assert.equal(weft.statusName(999), 'UNKNOWN');
});

test('SQLite: a log persists across open and close, sync and async', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-node-'));
  try {
    const file = path.join(dir, 'log.db');
    const a = Log.openSqlite(file, { synchronousFull: false, busyTimeoutMs: 1000 });
    const actor = a.actor;
    a.appendMany(['a', 'b', 'c']);
    const digest = a.digest();
    a.close();
    const again = await Log.openSqliteAsync(file);
    assert.equal(again.actor, actor);
    assert.equal(again.cursor, 3);
    assert.ok(again.digest().equals(digest));
    assert.deepEqual((await again.verifyAsync()).ops, 3);
    again.close();
    const other = Log.openSqlite(file, { logName: 'second' });
    assert.equal(other.cursor, 0);
    other.close();
    assert.throws(() => Log.openSqlite(path.join(dir, 'missing.db'), { create: false }), isWeft('NOT_FOUND'));
    await assert.rejects(Log.openSqliteAsync(path.join(dir, 'missing.db'), { create: false }), isWeft('NOT_FOUND'));
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, Buffer.alloc(4096, 0x5a));
    assert.throws(() => Log.openSqlite(junk), (e) => e instanceof WeftError && e.code === 'CORRUPT');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: empty paths, ":memory:" and "file:" URIs need specialNames', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-node-'));
  try {
    const special = /special/;
    assert.throws(() => Log.openSqlite(':memory:'), (e) => isWeft('INVALID_ARGUMENT')(e) && special.test(e.message));
    await assert.rejects(Log.openSqliteAsync(':memory:'), isWeft('INVALID_ARGUMENT'));
    assert.throws(() => Log.openSqlite(''), isWeft('INVALID_ARGUMENT'));
    assert.throws(() => Log.openSqlite('', { specialNames: true }), isWeft('INVALID_ARGUMENT'));
    const uri = 'file:' + path.join(dir, 'uri.db');
    assert.throws(() => Log.openSqlite(uri), isWeft('INVALID_ARGUMENT'));
    assert.deepEqual(fs.readdirSync(dir), [], 'a refused name created nothing');

    const memory = Log.openSqlite(':memory:', { specialNames: true });
    memory.appendMany(['a', 'b']);
    assert.equal(memory.cursor, 2);
    memory.close();
    const viaUri = await Log.openSqliteAsync(uri, { specialNames: true, logName: 'named' });
    viaUri.append('c');
    viaUri.close();
    const plain = Log.openSqlite(path.join(dir, 'uri.db'), { logName: 'named', create: false });
    assert.equal(plain.cursor, 1, 'the URI named the same file');
    plain.close();

    assert.throws(() => Log.openSqlite(':memory:', { specialNames: 1 }), TypeError);
    assert.throws(() => Log.openSqlite(path.join(dir, 'x.db'), { logName: 'a\0b' }), TypeError);
    assert.throws(() => Log.openSqlite(path.join(dir, 'x.db\0y')), TypeError);
    assert.throws(() => Log.openSqlite(path.join(dir, 'x.db'), { busyTimeoutMs: -1 }), RangeError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a file copied with cp appends under a new writer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-node-'));
  try {
    const file = path.join(dir, 'a.db');
    const a = Log.openSqlite(file);
    a.append('one');
    const actor = a.actor;
    a.close();
    const copy = path.join(dir, 'b.db');
    fs.copyFileSync(file, copy); // the database only, not its "-weft" fence
    const b = Log.openSqlite(copy);
    assert.equal(b.cursor, 1);
    assert.notEqual(b.actor, actor, 'the copy mints under a fresh writer');
    const id = b.append('two');
    assert.equal(id.actor, b.actor);
    assert.equal(id.counter, 1);
    assert.deepEqual(b.verify(), { ops: 2, chunks: 0 });
    b.close();
    const again = Log.openSqlite(file);
    assert.equal(again.actor, actor, 'the original keeps its writer');
    again.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
