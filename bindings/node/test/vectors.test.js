'use strict';
// The golden vectors (tests/vectors) through the Node API: every file
// decodes to its JSON and re-encodes to the same bytes.
const test = require('node:test');
const assert = require('node:assert/strict');
const { weft, vectors, actorOf } = require('./helpers.js');

const { BatchBuilder, Log, WeftError, decodeBatch, decodeAck, encodeAck, decodeChunk, chunkVerify } = weft;

const all = vectors();

const idOf = (j) => ({ actor: j.actor, counter: j.counter });

function assertOp(op, j, where) {
  assert.deepEqual(op.id, idOf(j), `${where}: id`);
  assert.equal(op.lamport, j.lamport, `${where}: lamport`);
  assert.equal(op.kind, j.kind, `${where}: kind`);
  assert.equal(op.timestampMs, j.timestamp_ms, `${where}: timestampMs`);
  assert.deepEqual(op.deps, j.deps.map(idOf), `${where}: deps`);
  assert.equal(op.payload.toString('hex'), j.payload_hex, `${where}: payload`);
  assert.ok(Buffer.isBuffer(op.payload));
  assert.equal(op.hash.length, 32, `${where}: hash`);
}

function buildBatch(header, ops) {
  const b = new BatchBuilder();
  b.setHeader(header);
  for (const op of ops) b.addOp(op);
  const bytes = b.finish();
  b.close();
  return bytes;
}

test('every vector kind is present', () => {
  const kinds = new Set(all.map((v) => v.json.type));
  assert.deepEqual([...kinds].sort(), ['ack', 'batch', 'chunk']);
  for (const v of all) assert.ok(v.name.startsWith(v.json.type + '_'), v.name);
});

for (const v of all.filter((v) => v.json.type === 'batch')) {
  test(`${v.name}: decodes to its JSON`, () => {
    const b = decodeBatch(v.bin);
    assert.equal(b.batchId, v.json.batch_id);
    assert.equal(b.seq, v.json.seq);
    assert.equal(b.expectedCursor, v.json.expected_cursor);
    assert.equal(b.epoch, v.json.epoch);
    assert.equal(b.ops.length, v.json.ops.length);
    b.ops.forEach((op, i) => {
      assertOp(op, v.json.ops[i], `ops[${i}]`);
      assert.equal(op.cursor, 0);
    });
  });

  test(`${v.name}: re-encodes byte-identically from the JSON and from the decoded batch`, () => {
    const j = v.json;
    const fromJson = buildBatch(
      { batchId: j.batch_id, seq: j.seq, expectedCursor: j.expected_cursor, epoch: j.epoch },
      j.ops.map((o) => ({
        actor: o.actor, // top-level actor + counter is accepted as the id
        counter: o.counter,
        lamport: o.lamport,
        kind: o.kind,
        timestampMs: o.timestamp_ms,
        deps: o.deps.map(idOf),
        payload: Buffer.from(o.payload_hex, 'hex'),
      })),
    );
    assert.ok(fromJson.equals(v.bin), 'bytes built from the JSON differ from the vector');
    const d = decodeBatch(v.bin);
    const fromDecoded = buildBatch(d, d.ops);
    assert.ok(fromDecoded.equals(v.bin), 'bytes built from the decoded batch differ from the vector');
  });
}

for (const v of all.filter((v) => v.json.type === 'ack')) {
  test(`${v.name}: decodes to its JSON and re-encodes byte-identically`, () => {
    const a = decodeAck(v.bin);
    assert.equal(a.batchId, v.json.batch_id);
    assert.equal(a.seq, v.json.seq);
    assert.equal(a.status, v.json.status);
    assert.equal(a.cursor, v.json.cursor);
    assert.deepEqual(a.applied, v.json.applied.map(idOf));
    assert.deepEqual(a.duplicates, v.json.duplicates.map(idOf));
    assert.deepEqual(
      a.rejected,
      v.json.rejected.map((r) => ({ id: idOf(r), code: r.code })),
    );
    assert.ok(encodeAck(a).equals(v.bin));
  });
}

for (const v of all.filter((v) => v.json.type === 'chunk')) {
  const expectedSeal = () => ({
    actor: v.json.actor,
    index: v.json.index,
    first: v.json.first,
    last: v.json.last,
    prevDigest: v.json.prev_digest,
    digest: v.json.digest,
  });

  test(`${v.name}: decodes to its JSON`, () => {
    const c = decodeChunk(v.bin);
    const s = c.seal;
    assert.equal(s.actor, v.json.actor);
    assert.equal(s.index, v.json.index);
    assert.equal(s.first, v.json.first);
    assert.equal(s.last, v.json.last);
    assert.equal(s.prevDigest.toString('hex'), v.json.prev_digest);
    assert.equal(s.digest.toString('hex'), v.json.digest);
    assert.equal(c.ops.length, v.json.ops.length);
    c.ops.forEach((op, i) => assertOp(op, v.json.ops[i], `ops[${i}]`));
  });

  test(`${v.name}: bytes are canonical and match their seal record`, () => {
    const s = chunkVerify(v.bin, expectedSeal());
    assert.equal(s.digest.toString('hex'), v.json.digest);
    assert.deepEqual(Log.chunkVerify(v.bin), s);
    const wrong = { ...expectedSeal(), digest: Buffer.alloc(32, 0xee) };
    assert.throws(() => chunkVerify(v.bin, wrong), (e) => e instanceof WeftError && e.code === 'CHECKSUM_MISMATCH');
    const tampered = Buffer.from(v.bin);
    tampered[tampered.length - 1] ^= 0xff;
    assert.throws(() => chunkVerify(tampered), (e) => e instanceof WeftError && e.code !== 'OK' && e.message.length > 0);
  });
}

test('chunk_first: a log stores it, applies its ops and serves the same bytes', () => {
  const v = all.find((x) => x.name === 'chunk_first');
  assert.ok(v, 'chunk_first vector missing');
  const log = Log.openMemory({ actor: actorOf(0x77) });
  const seal = log.chunkPut(v.bin, v.json.digest);
  assert.equal(seal.digest.toString('hex'), v.json.digest);
  assert.equal(log.cursor, v.json.ops.length);
  assert.ok(log.chunkGet(v.json.actor, 0).equals(v.bin));
  assert.equal(log.chunkGet(v.json.actor, 1), null);
  assert.deepEqual(log.chunkPut(v.bin), seal, 'the same bytes again are OK');
  assert.deepEqual(log.verify(), { ops: 3, chunks: 1 });
  log.close();
});

test('batch_single_actor: applies to a fresh log, and a retry answers duplicates', () => {
  const v = all.find((x) => x.name === 'batch_single_actor');
  assert.ok(v, 'batch_single_actor vector missing');
  const log = Log.openMemory();
  const ack = log.apply(v.bin);
  assert.equal(ack.status, 'OK');
  assert.equal(ack.applied.length, 5);
  const again = log.apply(v.bin);
  assert.equal(again.applied.length, 0);
  assert.deepEqual(again.duplicates, ack.applied);
  const ops = [...log.read()];
  ops.forEach((op, i) => assertOp(op, v.json.ops[i], `read[${i}]`));
  log.close();
});
