'use strict';
// Store adapters written in JS, through weft_kv_store: the conformance kit
// passes against one, a log lives in one, and adapter failures surface.
const test = require('node:test');
const assert = require('node:assert/strict');
const { weft, gcFunction, tick } = require('./helpers.js');
const { MemoryKvAdapter } = require('./memory_kv_adapter.js');

const { Log, WeftError, runConformance } = weft;

test('the JS store adapter passes the conformance kit', () => {
  const adapter = new MemoryKvAdapter();
  const results = runConformance(adapter);
  assert.ok(results.length >= 6, `only ${results.length} scenarios ran`);
  for (const r of results) {
    assert.equal(r.outcome, 'pass', `${r.scenario}: ${r.diagnostic}`);
    assert.equal(r.diagnostic, '');
  }
  const names = results.map((r) => r.scenario);
  for (const name of ['atomicity_under_injected_failure', 'durability_across_reopen', 'two_writers']) {
    assert.ok(names.includes(name), `${name} did not run`);
  }
  assert.equal(adapter.open, 0, 'every database the kit created was destroyed');
  assert.ok(adapter.calls > 100);
});

test('an adapter whose rollback keeps its writes fails atomicity', () => {
  const results = runConformance(new MemoryKvAdapter({ brokenRollback: true }), { only: 'atomicity_under_injected_failure' });
  assert.equal(results.length, 1);
  assert.equal(results[0].outcome, 'fail');
  assert.ok(results[0].diagnostic.length > 0);
});

test('bad adapters and scenario names are refused', () => {
  assert.throws(() => runConformance(new MemoryKvAdapter(), { only: 'no_such_scenario' }),
    (e) => e instanceof WeftError && e.code === 'INVALID_ARGUMENT' && /no_such_scenario/.test(e.message));
  assert.throws(() => runConformance({ create() {} }), (e) => e instanceof TypeError && /scan/.test(e.message));
  assert.throws(() => Log.openKv(null, {}), TypeError);
});

test('a log kept in a JS adapter persists across reopen and converges with a memory log', () => {
  const adapter = new MemoryKvAdapter();
  const db = adapter.create();
  const log = Log.openKv(adapter, db, { actor: '0a'.repeat(16) });
  log.appendMany(['one', 'two', 'three']);
  const memory = Log.openMemory();
  memory.append('from memory');
  assert.equal(log.merge(memory), 1);
  assert.equal(memory.merge(log), 3);
  assert.ok(log.digest().equals(memory.digest()));
  assert.deepEqual(log.canonicalOrder(), memory.canonicalOrder());
  const seal = log.seal(undefined, 2);
  assert.ok(log.chunkGet(undefined, 0).length > 0);
  assert.deepEqual(log.verify(), { ops: 4, chunks: 1 });
  const it = log.read();
  const digest = log.digest();
  log.close();
  // The C iterator keeps the log, and so the adapter, alive after close().
  assert.equal([...it].length, 4);
  const again = Log.openKv(adapter, db);
  assert.equal(again.actor, '0a'.repeat(16));
  assert.equal(again.cursor, 4);
  assert.ok(again.digest().equals(digest));
  assert.deepEqual(again.chunkVerify(again.chunkGet(undefined, 0)), seal);
  again.close();
  memory.close();
});

test('a log kept in a JS adapter has no async variants', async () => {
  const adapter = new MemoryKvAdapter();
  const log = Log.openKv(adapter, adapter.create());
  const memory = Log.openMemory();
  const refused = (e) => e instanceof WeftError && e.code === 'INVALID_ARGUMENT' && /async/.test(e.message);
  await assert.rejects(log.verifyAsync(), refused);
  await assert.rejects(log.applyAsync(memory.diff()[0] ?? Buffer.alloc(0)), (e) => e instanceof WeftError);
  await assert.rejects(memory.mergeAsync(log), refused);
  await assert.rejects(log.mergeAsync(memory), refused);
  log.close();
  memory.close();
});

test('an exception thrown by the adapter surfaces as the WeftError cause', () => {
  const adapter = new MemoryKvAdapter();
  const log = Log.openKv(adapter, adapter.create());
  log.append('fine');
  const put = adapter.put;
  const busy = new WeftError('locked by another process', 'BUSY', weft.Status.BUSY, true);
  adapter.put = () => {
    throw busy;
  };
  assert.throws(() => log.append('x'), (e) => e instanceof WeftError && e.code === 'BUSY' && e.cause === busy);
  const bug = new TypeError('adapter bug');
  adapter.put = () => {
    throw bug;
  };
  assert.throws(() => log.append('y'), (e) => e.code === 'IO_ERROR' && e.cause === bug && e.retryable);
  adapter.put = put;
  assert.equal(log.append('z').counter, 2, 'the failed appends left nothing behind');
  assert.equal(log.cursor, 2);
  adapter.get = () => 42; // not bytes
  assert.throws(() => Log.openKv(adapter, adapter.create()), (e) => e instanceof WeftError && e.cause instanceof TypeError);
  log.close();
});

test("the adapter's exception message reaches weft_last_error and the caller's WeftError", () => {
  const adapter = new MemoryKvAdapter();
  const log = Log.openKv(adapter, adapter.create());
  log.append('fine');
  const { put, get, connect } = adapter;
  const diskFull = new Error('disk full at block 7');
  adapter.put = () => {
    throw diskFull;
  };
  // The addon calls weft_error_set(IO_ERROR, message) before the callback
  // returns: the WeftError's message is weft_last_error()'s, and says it.
  assert.throws(() => log.append('x'), (e) => {
    assert.ok(e instanceof WeftError);
    assert.equal(e.code, 'IO_ERROR');
    assert.match(e.message, /disk full at block 7/);
    assert.match(e.message, /\bput\b/, 'weft names the callback that failed');
    assert.equal(e.cause, diskFull);
    return true;
  });
  // A WeftError thrown by the adapter: its status and its message.
  adapter.put = () => {
    throw new WeftError('locked by another process', 'BUSY', weft.Status.BUSY, true);
  };
  assert.throws(() => log.append('x'), (e) => e.code === 'BUSY' && /locked by another process/.test(e.message));
  // A thrown primitive has no cause to keep, but its text is the message (one line).
  adapter.put = () => {
    throw 'quota\nexceeded on volume 3'; // eslint-disable-line no-throw-literal
  };
  assert.throws(() => log.append('x'), (e) => {
    assert.equal(e.code, 'IO_ERROR');
    assert.match(e.message, /quota; exceeded on volume 3/);
    assert.doesNotMatch(e.message, /\n/);
    assert.equal(e.cause, undefined);
    return true;
  });
  adapter.put = put;
  // A message belongs to the failure it described, never a later one.
  adapter.get = () => 42;
  assert.throws(() => Log.openKv(adapter, adapter.create()), (e) => {
    assert.equal(e.code, 'IO_ERROR');
    assert.match(e.message, /Buffer or Uint8Array/);
    assert.doesNotMatch(e.message, /disk full|quota/);
    return true;
  });
  adapter.get = get;
  adapter.connect = () => {
    throw new Error('disk full at block 7');
  };
  assert.throws(() => Log.openKv(adapter, adapter.create()), (e) => e.code === 'IO_ERROR' && /connect: .*disk full at block 7/.test(e.message));
  adapter.connect = connect;
  assert.equal(log.append('z').counter, 2, 'the failed appends left nothing behind');
  log.close();
  // The conformance kit reports the adapter's message in its diagnostic.
  const failing = new MemoryKvAdapter();
  failing.put = () => {
    throw new Error('disk full at block 7');
  };
  const [result] = runConformance(failing, { only: 'durability_across_reopen' });
  assert.equal(result.outcome, 'fail');
  assert.match(result.diagnostic, /disk full at block 7/);
});

test('a kept log dropped without close() disconnects from its adapter when collected', async () => {
  const gc = gcFunction();
  const adapter = new MemoryKvAdapter();
  let connected = 0;
  const connect = adapter.connect.bind(adapter);
  const disconnect = adapter.disconnect.bind(adapter);
  adapter.connect = (db) => (connected++, connect(db));
  adapter.disconnect = (conn) => (connected--, disconnect(conn));
  const before = weft.liveHandles().total;
  (() => {
    const db = adapter.create();
    for (let i = 0; i < 20; i++) {
      const log = Log.openKv(adapter, db);
      log.append(`op ${i}`);
      log.read().next();
    }
  })();
  assert.equal(connected, 20);
  for (let i = 0; i < 50 && (connected > 0 || weft.liveHandles().total > before); i++) {
    gc();
    await tick();
  }
  assert.equal(connected, 0, 'every connection was closed by a finalizer');
  assert.equal(weft.liveHandles().total, before);
});

test('an exception weft could not report (disconnect is void) does not leak into a later error', () => {
  const adapter = new MemoryKvAdapter();
  const log = Log.openKv(adapter, adapter.create());
  adapter.disconnect = () => {
    throw new Error('disconnect failed');
  };
  log.close(); // the C callback returns void: nothing to report
  assert.throws(() => weft.decodeBatch(Buffer.from('junk')), (e) => e.code === 'MALFORMED' && e.cause === undefined);
});
