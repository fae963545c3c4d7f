// The ESM entry re-exports the CommonJS module (one addon instance).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import weft, { Log, WeftError, BatchBuilder, Session, Host, decodeBatch, decodeAck, encodeAck, decodeChunk, chunkVerify, Status, liveHandles, newSecret, issueToken, verifyToken, retryWaitMs } from '../index.mjs';

const require = createRequire(import.meta.url);

test('named and default exports are the CommonJS ones', () => {
  const cjs = require('../index.js');
  assert.equal(weft, cjs);
  assert.equal(Log, cjs.Log);
  assert.equal(WeftError, cjs.WeftError);
  assert.equal(Session, cjs.Session);
  assert.equal(Host, cjs.Host);
  for (const f of [BatchBuilder, decodeBatch, decodeAck, encodeAck, decodeChunk, chunkVerify, liveHandles, newSecret, issueToken, verifyToken, retryWaitMs]) {
    assert.equal(typeof f, 'function');
  }
  assert.equal(Status.STALE_EPOCH, 10);
});

test('a log works through the ESM entry', async () => {
  const a = Log.openMemory();
  const b = Log.openMemory();
  a.append('esm');
  assert.equal(await b.mergeAsync(a), 1);
  assert.ok(a.digest().equals(b.digest()));
  a.close();
  b.close();
});
