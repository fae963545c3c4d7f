'use strict';
// Sync sessions, hosts, capability tokens and outbox state: messages are
// pumped between sessions in JS, as a transport would.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { weft, actorOf } = require('./helpers.js');

const { Log, Session, Host, WeftError, Status, newSecret, issueToken, verifyToken, retryWaitMs } = weft;

const isWeft = (code) => (e) => {
  assert.ok(e instanceof WeftError, `expected a WeftError, got ${e}`);
  assert.equal(e.code, code, e.message);
  assert.equal(e.status, Status[code]);
  assert.ok(e.message.length > 0);
  return true;
};
const isType = (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE';
const isRange = (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE';

const memoryLog = (byte) => Log.openMemory({ actor: actorOf(byte) });

function appendN(log, n, prefix) {
  log.appendMany(Array.from({ length: n }, (_, i) => `${prefix}-${i}`));
}

/**
 * Moves messages both ways until neither side has one. `keepBack(n)` sees
 * the responder's n-th message (from 0) and says whether it arrives.
 * Returns how many messages arrived.
 */
function pump(a, b, keepBack = () => true) {
  let moved = 0;
  let back = 0;
  for (;;) {
    let any = false;
    for (let m; (m = a.nextMessage()) !== null; ) {
      any = true;
      moved++;
      try {
        b.receive(m);
      } catch {} // a failure shows in b's state
    }
    for (let m; (m = b.nextMessage()) !== null; ) {
      any = true;
      if (keepBack(back++)) {
        moved++;
        try {
          a.receive(m);
        } catch {}
      }
    }
    if (!any) return moved;
    assert.ok(moved < 100000, 'the sessions never go quiet');
  }
}

test('two logs sync both ways through sessions pumped in JS', () => {
  const a = memoryLog(1);
  const b = memoryLog(2);
  appendN(a, 20, 'a');
  appendN(b, 7, 'b');
  assert.ok(!a.digest().equals(b.digest()));

  const sa = Session.connect(a, { peer: 'b', maxBatchOps: 3 });
  const sb = Session.accept(b);
  assert.equal(sa.state, 'handshake');
  assert.ok(pump(sa, sb) > 0);

  assert.ok(sa.done && sb.done);
  assert.ok(a.digest().equals(b.digest()));
  assert.deepEqual(a.canonicalOrder(), b.canonicalOrder());
  assert.deepEqual([a.cursor, b.cursor], [27, 27]);
  const ia = sa.info;
  const ib = sb.info;
  assert.equal(ia.state, 'done');
  assert.equal(ia.error, null);
  assert.deepEqual([ia.batchesSent, ia.opsSent, ia.peerApplied, ia.applied], [7, 20, 20, 7]);
  assert.deepEqual([ia.opsToSend, ia.opsAcked, ia.ackedCursor], [20, 20, 20]);
  assert.deepEqual([ib.applied, ib.duplicates, ib.rejected], [20, 0, 0]);
  assert.equal(ib.messagesReceived, ia.messagesSent);
  assert.equal(ib.bytesReceived, ia.bytesSent);
  assert.deepEqual(a.peer('b'), { ackedCursor: 20, attempts: 0, nextAttemptMs: 0 });

  // A second session finds nothing to send.
  const again = Session.connect(a, { peer: 'b' });
  const answer = Session.accept(b);
  pump(again, answer);
  assert.ok(again.done && answer.done);
  assert.deepEqual([again.info.opsSent, answer.info.opsSent], [0, 0]);
  for (const x of [sa, sb, again, answer, a, b]) x.close();
});

test('a session keeps its log alive; closed handles refuse calls', () => {
  const a = memoryLog(3);
  const b = memoryLog(4);
  appendN(a, 5, 'x');
  const sa = Session.connect(a);
  const sb = Session.accept(b);
  a.close();
  pump(sa, sb);
  assert.ok(sa.done && sb.done);
  assert.equal(b.cursor, 5);
  sa.close();
  sa.close(); // idempotent
  assert.ok(sa.closed);
  assert.throws(() => sa.nextMessage(), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => sa.info, (e) => isWeft('INVALID_ARGUMENT')(e) && /session is closed/.test(e.message));
  assert.throws(() => Session.connect(a), (e) => isWeft('INVALID_ARGUMENT')(e) && /log is closed/.test(e.message));
  sb.close();
  b.close();
});

test('a lost answer is resent by tick and reported as duplicates', () => {
  const a = memoryLog(5);
  const b = memoryLog(6);
  appendN(a, 4, 'z');
  const sa = Session.connect(a, { peer: 'b', retryBaseMs: 10, retryMaxMs: 10 });
  const sb = Session.accept(b);

  // b's Hello arrives; every answer after it (the acks) is lost.
  pump(sa, sb, (n) => n === 0);
  assert.equal(b.cursor, 4, 'b applied the batch');
  assert.equal(sa.state, 'syncing', 'a still waits for the ack');

  // The clock moves on: a resends the same bytes; now answers arrive.
  let now = 0;
  for (;;) {
    sa.tick(now);
    if (pump(sa, sb) > 0) break;
    now += 5;
    assert.ok(now < 10000, 'no resend');
  }
  assert.ok(sa.done && sb.done);
  assert.ok(sa.info.resends >= 1);
  assert.equal(sb.info.duplicates, 4, 'b saw the resent ops again');
  assert.equal(sa.info.peerDuplicates, 4, "a learned that from b's ack");
  assert.equal(sa.info.ackedCursor, 4);
  assert.ok(a.digest().equals(b.digest()));
});

test('an unanswered session times out', () => {
  const a = memoryLog(7);
  const b = memoryLog(8);
  appendN(a, 2, 't');
  const sa = Session.connect(a, { retryBaseMs: 10, retryMaxMs: 10n, retryMaxAttempts: 2 });
  const sb = Session.accept(b);
  pump(sa, sb, (n) => n === 0);
  let failure = null;
  for (let now = 0; failure === null && now < 1000; now += 5) {
    try {
      sa.tick(now);
    } catch (e) {
      failure = e;
    }
    pump(sa, sb, () => false);
  }
  assert.ok(isWeft('TIMEOUT')(failure));
  const info = sa.info;
  assert.equal(info.state, 'failed');
  assert.ok(isWeft('TIMEOUT')(info.error));
  assert.match(info.error.message, /no answer/);
  assert.throws(() => sa.receive(Buffer.from('junk')), isWeft('TIMEOUT'));
});

test('a host serves read and append tokens, redeems and revokes them', () => {
  const host = Host.openMemory(Buffer.alloc(32, 0x42));
  const read = host.issue('agent', 'read');
  const append = host.issue('agent', 'append');
  let info = host.redeem('agent', append);
  assert.deepEqual({ ...info, digest: undefined }, { epoch: 0, scope: 'append', cursor: 0, ops: 0, actors: 0, digest: undefined });
  assert.equal(info.digest.length, 32);
  assert.equal(host.redeem('agent', read).scope, 'read');

  // An append token pushes.
  const writer = memoryLog(9);
  appendN(writer, 3, 'w');
  let client = Session.connect(writer, { logId: 'agent', token: append });
  let server = host.accept();
  pump(client, server);
  assert.ok(client.done && server.done);
  info = host.redeem('agent', append);
  assert.deepEqual([info.ops, info.cursor, info.actors], [3, 3, 1]);
  assert.ok(info.digest.equals(writer.digest()));

  // A read token pulls what the host has, and pushes nothing.
  const reader = memoryLog(10);
  appendN(reader, 2, 'r');
  client = Session.connect(reader, { logId: 'agent', token: read });
  server = host.accept();
  pump(client, server);
  assert.ok(client.done && server.done);
  assert.equal(reader.cursor, 5, "pulled the host's 3 ops");
  assert.equal(host.redeem('agent', read).ops, 3, "the reader's ops stayed home");
  assert.equal(client.info.opsSent, 0);

  // Revoked: the old tokens fail, in redeem and at a session's Hello.
  assert.equal(host.revoke('agent'), 1);
  assert.throws(() => host.redeem('agent', append), isWeft('STALE_EPOCH'));
  client = Session.connect(writer, { logId: 'agent', token: append });
  server = host.accept();
  host.close(); // sessions keep the host alive
  assert.throws(() => host.issue('agent', 'read'), isWeft('INVALID_ARGUMENT'));
  pump(client, server);
  for (const s of [client, server]) {
    assert.equal(s.state, 'failed');
    assert.ok(isWeft('STALE_EPOCH')(s.info.error));
  }
  assert.throws(() => client.receive(Buffer.from('more')), isWeft('STALE_EPOCH'));
});

test('a directory host keeps its logs in SQLite files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-node-host-'));
  try {
    const key = newSecret();
    let host = Host.openDirectory(key, dir);
    const writer = memoryLog(11);
    appendN(writer, 2, 'n');
    const client = Session.connect(writer, { logId: 'notes', token: host.issue('notes', 'admin') });
    const server = host.accept();
    pump(client, server);
    assert.ok(client.done);
    assert.throws(() => host.issue('../x', 'read'), isWeft('INVALID_ARGUMENT'));
    for (const x of [client, server, host]) x.close();
    assert.ok(fs.existsSync(path.join(dir, 'notes.db')));
    host = Host.openDirectory(key.toString('hex'), dir);
    assert.equal(host.redeem('notes', host.issue('notes', 'read')).ops, 2, 'kept across hosts');
    host.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tokens: issue, verify, and every edited token fails', () => {
  const secret = newSecret();
  assert.equal(secret.length, 32);
  assert.ok(!secret.equals(newSecret()));
  const token = issueToken(secret, 'log-1', 4, 'read');
  assert.ok(Buffer.isBuffer(token) && token.length > 0);
  assert.deepEqual(verifyToken(secret, 'log-1', 4, token, 'read'), { epoch: 4, scope: 'read' });
  assert.throws(() => verifyToken(secret, 'log-1', 4, token, 'append'), isWeft('PERMISSION_DENIED'));
  assert.throws(() => verifyToken(secret, 'log-1', 5, token, 'read'), isWeft('STALE_EPOCH'));
  assert.throws(() => verifyToken(secret, 'log-2', 4, token, 'read'), isWeft('PERMISSION_DENIED'));
  assert.throws(() => verifyToken(Buffer.alloc(32, 7), 'log-1', 4, token, 'read'), isWeft('PERMISSION_DENIED'));
  assert.throws(() => verifyToken(secret, 'log-1', 4, Buffer.from('x'), 'read'), isWeft('MALFORMED'));
  for (let i = 0; i < token.length; i++) {
    const edited = Buffer.from(token);
    edited[i] ^= 1;
    assert.throws(
      () => verifyToken(secret, 'log-1', 4, edited, 'read'),
      (e) => e instanceof WeftError && ['MALFORMED', 'PERMISSION_DENIED', 'STALE_EPOCH'].includes(e.code),
      `byte ${i}`);
  }
  const admin = issueToken(secret, 'log-1', 4, 'admin');
  assert.equal(verifyToken(secret.toString('hex'), 'log-1', 4, admin, 'append').scope, 'admin');
});

test('peer state: recorded, and the acked cursor never moves back', () => {
  const log = memoryLog(12);
  appendN(log, 5, 'p');
  assert.deepEqual(log.peer('never'), { ackedCursor: 0, attempts: 0, nextAttemptMs: 0 });
  assert.deepEqual(log.recordPeer('replica-b', { ackedCursor: 5 }), { ackedCursor: 5, attempts: 0, nextAttemptMs: 0 });
  const stored = log.recordPeer('replica-b', { ackedCursor: 2, attempts: 3, nextAttemptMs: 1000 });
  assert.deepEqual(stored, { ackedCursor: 5, attempts: 3, nextAttemptMs: 1000 });
  assert.deepEqual(log.peer('replica-b'), stored);
  assert.ok(retryWaitMs(stored, 900, 100, 10000) <= 100);
  assert.equal(retryWaitMs(stored, 5000, 100, 10000, 0), 0, 'due');
  assert.equal(retryWaitMs({}, 0, 1, 1), 0);
  assert.throws(() => log.recordPeer('replica-b', { ackedCursor: 999 }), isWeft('INVALID_ARGUMENT'));
  assert.equal(log.peer('replica-b').ackedCursor, 5);
});

test('argument errors: TypeError and RangeError for JS values, WeftError for weft', () => {
  const log = memoryLog(13);
  assert.throws(() => log.peer(''), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => log.peer('p'.repeat(257)), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => log.peer('nul\0byte'), isType);
  assert.throws(() => log.peer(7), isType);
  assert.throws(() => log.recordPeer('p', null), isType);
  assert.throws(() => log.recordPeer('p', { ackedCursor: -1 }), isRange);
  assert.throws(() => Session.connect(log, { window: 0 }), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => Session.accept(log, { maxBatchOps: 0 }), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => Session.connect(log, { window: 2 ** 32 }), isRange);
  assert.throws(() => Session.connect(log, { push: 1 }), isType);
  assert.throws(() => Session.connect(log, { peer: 'a\0b' }), isType);
  assert.throws(() => Session.connect(log, { token: 'a string' }), isType);
  assert.throws(() => Session.connect(log, { logId: 'x'.repeat(257) }), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => Session.connect(log, { token: Buffer.alloc(4097) }), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => Session.connect(log, 'options'), isType);
  assert.throws(() => Session.connect({}), isType);
  assert.throws(() => Session.connect(null), isType);
  assert.throws(() => new Session(), TypeError);
  assert.throws(() => new Host(), TypeError);
  assert.throws(() => issueToken(Buffer.alloc(32), '', 0, 'read'), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => issueToken(Buffer.alloc(32), 'log', 0, 9), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => issueToken(Buffer.alloc(32), 'log', 0, 'write'), isRange);
  assert.throws(() => issueToken(Buffer.alloc(32), 'log', 0, {}), isType);
  assert.throws(() => issueToken(Buffer.alloc(31), 'log', 0, 'read'), isType);
  assert.throws(() => issueToken(Buffer.alloc(32), 'log', -1, 'read'), isRange);
  assert.throws(() => verifyToken(Buffer.alloc(32), 'log', 0, Buffer.alloc(0), 0), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => verifyToken(Buffer.alloc(32), 'log', 0, 'token', 'read'), isType);
  assert.throws(() => Host.openDirectory(Buffer.alloc(32), '/no/such/directory'), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => Host.openDirectory(Buffer.alloc(32)), isType);
  assert.throws(() => Host.openMemory('short'), isType);
  const host = Host.openMemory(Buffer.alloc(32));
  assert.throws(() => host.issue('', 'read'), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => host.issue('log', 0), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => host.revoke(''), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => host.accept({ window: 0 }), isWeft('INVALID_ARGUMENT'));
  assert.throws(() => host.redeem('log', Buffer.from('not a token')), isWeft('MALFORMED'));
  assert.throws(() => Session.prototype.tick.call(host, 0), TypeError);

  // A message that is not one fails the session; it then tells the peer.
  const s = Session.accept(log);
  assert.throws(() => s.receive(Buffer.from('garbage')), isWeft('MALFORMED'));
  assert.throws(() => s.receive('a string'), isType);
  assert.throws(() => s.tick(-1), isRange);
  assert.equal(s.state, 'failed');
  assert.ok(Buffer.isBuffer(s.nextMessage()), 'the Error message for the peer');
  assert.equal(s.nextMessage(), null);
  for (const x of [s, host, log]) x.close();
});

test('a session over a JS store adapter keeps the adapter alive', () => {
  const { MemoryKvAdapter } = require('./memory_kv_adapter.js');
  const adapter = new MemoryKvAdapter();
  const db = adapter.create();
  const log = Log.openKv(adapter, db, { actor: actorOf(0x5a) });
  log.appendMany(['kept', 'here']);
  const peer = memoryLog(0x11);
  peer.append('peer');
  const ours = Session.connect(log, { peer: 'memory' });
  const theirs = Session.accept(peer);
  log.close();
  pump(ours, theirs);
  assert.ok(ours.done && theirs.done);
  assert.deepEqual([ours.info.applied, theirs.info.applied], [1, 2]);
  ours.close();
  const reopened = Log.openKv(adapter, db);
  assert.equal(reopened.cursor, 3);
  assert.equal(reopened.peer('memory').ackedCursor, 2, 'the outbox state is in the adapter');
  reopened.close();
});
