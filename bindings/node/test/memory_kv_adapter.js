'use strict';
// A store adapter written in JS: an in-memory ordered key-value database
// with write transactions (a sorted array; a transaction snapshots it),
// like tests/capi/capi_kv_test.c. `brokenRollback` keeps the writes of an
// aborted transaction: the conformance kit must catch that.
const { WeftError, Status } = require('..');

function lowerBound(rows, key) {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(rows[mid][0], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const fail = (code, message) => new WeftError(message, code, Status[code], false);

class MemoryKvAdapter {
  constructor({ brokenRollback = false } = {}) {
    this.brokenRollback = brokenRollback;
    this.calls = 0;
    this.open = 0; // databases created and not destroyed
  }
  create() {
    this.open++;
    return { rows: [], saved: null, inTxn: false };
  }
  destroy(db) {
    db.rows = [];
    this.open--;
  }
  connect(db) {
    return { db }; // one process, one thread: a connection is the database
  }
  disconnect(conn) {
    conn.db = null;
  }
  begin({ db }) {
    this.calls++;
    if (db.inTxn) throw fail('BUSY', 'a transaction is already open');
    db.saved = db.rows.slice();
    db.inTxn = true;
  }
  commit({ db }) {
    if (!db.inTxn) throw fail('INVALID_ARGUMENT', 'commit outside a transaction');
    db.saved = null;
    db.inTxn = false;
  }
  rollback({ db }) {
    if (!db.inTxn) return;
    if (!this.brokenRollback) db.rows = db.saved;
    db.saved = null;
    db.inTxn = false;
  }
  put({ db }, key, value) {
    this.calls++;
    if (!db.inTxn) throw fail('INVALID_ARGUMENT', 'put outside a transaction');
    const at = lowerBound(db.rows, key);
    // weft's buffers are fresh copies: they may be kept as they are.
    if (at < db.rows.length && db.rows[at][0].equals(key)) db.rows[at] = [key, value];
    else db.rows.splice(at, 0, [key, value]);
  }
  get({ db }, key) {
    this.calls++;
    const at = lowerBound(db.rows, key);
    return at < db.rows.length && db.rows[at][0].equals(key) ? db.rows[at][1] : undefined;
  }
  *scan({ db }, from, to, limit) {
    this.calls++;
    let n = 0;
    for (let at = lowerBound(db.rows, from); at < db.rows.length && n < limit; at++, n++) {
      if (Buffer.compare(db.rows[at][0], to) >= 0) return;
      yield db.rows[at];
    }
  }
}

module.exports = { MemoryKvAdapter };
