'use strict';
// weft for Node: the public JS API over the native addon (weft.node), which
// wraps the stable C ABI (include/weft/weft.h). See README.md.

const fs = require('node:fs');
const path = require('node:path');

function loadAddon() {
  const candidates = [];
  if (process.env.WEFT_NODE_ADDON) candidates.push(path.resolve(process.env.WEFT_NODE_ADDON));
  candidates.push(
    path.join(__dirname, 'build', 'weft.node'), // `npm run build`
    path.join(__dirname, '..', '..', 'build', 'node-addon', 'weft.node'), // run_tests.sh
  );
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    'weft: the native addon weft.node was not found (looked in ' + candidates.join(', ') +
      '); build it with `npm run build` in bindings/node or set WEFT_NODE_ADDON');
}

const native = loadAddon();

/**
 * A failure reported by weft. `code` is the canonical status name
 * ('CONFLICT', 'STALE_EPOCH', ...), `status` its number, `retryable`
 * whether the same request may succeed later unchanged. The message is
 * weft_last_error()'s, copied on the thread that failed.
 */
class WeftError extends Error {
  constructor(message, code, status, retryable) {
    super(message);
    this.name = 'WeftError';
    this.code = code;
    this.status = status;
    this.retryable = Boolean(retryable);
  }
}
native.setErrorClass(WeftError);

/** Canonical status codes by name (frozen): Status.CONFLICT === 8. */
const Status = {};
for (let i = 0; i < native.statusCount; i++) Status[native.statusName(i)] = i;
Object.freeze(Status);

function refusal(ack) {
  const status = Status[ack.status];
  const err = new WeftError(
    `apply: batch ${ack.batchId} (seq ${ack.seq}) refused as a whole: ${ack.status}`,
    ack.status, status, native.statusRetryable(status));
  err.ack = ack;
  return err;
}

// A batch-level refusal is an exception; per-op rejections stay in the ack.
function checkAck(ack) {
  if (ack.status !== 'OK') throw refusal(ack);
  return ack;
}

/** An iterator over a log's ops in cursor order (for...of, spread, next()). */
class OpIterator {
  #h;
  constructor(handle) {
    this.#h = handle;
  }
  next() {
    if (this.#h === null) return { done: true, value: undefined };
    const op = native.iterNext(this.#h);
    if (op === undefined) {
      this.#h = null;
      return { done: true, value: undefined };
    }
    return { done: false, value: op };
  }
  /** Releases the native iterator early (called by `break` in for...of). */
  return(value) {
    if (this.#h !== null) native.iterClose(this.#h);
    this.#h = null;
    return { done: true, value };
  }
  [Symbol.iterator]() {
    return this;
  }
}

const kAdapterMethods = ['create', 'destroy', 'connect', 'disconnect', 'begin', 'commit', 'rollback', 'put', 'get', 'scan'];

/**
 * The callback table the addon calls, from a store adapter: an ordered
 * key-value database with write transactions, written in JS (see README,
 * "Store adapters"). Every method is synchronous. `scan` returns an
 * iterable of [key, value] pairs; the table feeds them to weft until it
 * has enough.
 */
function adapterTable(adapter, needCreate) {
  if (adapter === null || typeof adapter !== 'object') throw new TypeError('a store adapter must be an object');
  const missing = kAdapterMethods.filter(
    (m) => typeof adapter[m] !== 'function' && (needCreate || (m !== 'create' && m !== 'destroy')));
  if (missing.length) throw new TypeError(`the store adapter lacks ${missing.join(', ')}`);
  return {
    create: () => adapter.create(),
    destroy: (db) => adapter.destroy(db),
    connect: (db) => adapter.connect(db),
    disconnect: (conn) => adapter.disconnect(conn),
    begin: (conn) => adapter.begin(conn),
    commit: (conn) => adapter.commit(conn),
    rollback: (conn) => adapter.rollback(conn),
    put: (conn, key, value) => adapter.put(conn, key, value),
    get: (conn, key) => adapter.get(conn, key),
    scan: (conn, from, to, limit, emit) => {
      for (const [key, value] of adapter.scan(conn, from, to, limit)) {
        if (emit(key, value)) break;
      }
    },
  };
}

/**
 * Runs weft's storage conformance kit against a JS store adapter, each
 * scenario on a fresh database from adapter.create(). `only` names one
 * scenario. Returns [{scenario, outcome: 'pass' | 'fail' | 'skip', diagnostic}].
 */
function runConformance(adapter, options = {}) {
  return native.conformanceRun(adapterTable(adapter, true), options.only);
}

const kCreate = Symbol('weft.Log.create');

// The native handle of a Log, for Session.connect/accept (set in Log's
// static block: only Log's body can read its private field).
let logHandle;

function notA(what, value) {
  const err = new TypeError(`expected ${what}, got ${value === null ? 'null' : typeof value}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/**
 * A replicated append-only op log (weft_log). Internally synchronized: the
 * async variants run on libuv's thread pool while the event loop goes on.
 */
class Log {
  #h;
  #closed = false;

  static {
    logHandle = (log) => {
      if (log === null || typeof log !== 'object' || !(#h in log)) throw notA('a Log', log);
      return log.#h;
    };
  }

  constructor(token, handle) {
    if (token !== kCreate) throw new TypeError('use Log.openMemory() or Log.openSqlite()');
    this.#h = handle;
  }

  /** A new, empty in-memory log. */
  static openMemory(options) {
    return new Log(kCreate, native.logOpenMemory(options));
  }

  /**
   * Opens (creating unless options.create is false) a log in a SQLite file.
   * `options` holds the log's options (weft_log_options) and the SQLite
   * store's (weft_sqlite_options): {synchronousFull, busyTimeoutMs, create,
   * specialNames, logName}. An empty path, ":memory:" and "file:" URIs are
   * INVALID_ARGUMENT unless specialNames is true.
   */
  static openSqlite(file, options) {
    return new Log(kCreate, native.logOpenSqlite(file, options));
  }

  /** openSqlite off the event loop. */
  static async openSqliteAsync(file, options) {
    return new Log(kCreate, await native.logOpenSqliteAsync(file, options));
  }

  /**
   * Opens (creating if empty) a log kept in database `db` of a JS store
   * adapter. The adapter runs on this thread: such a log has no async
   * variants. `db` is any value the adapter's connect() accepts.
   */
  static openKv(adapter, db, options) {
    return new Log(kCreate, native.logOpenKv(adapterTable(adapter, false), db, options));
  }

  /** Checks chunk bytes on their own (no log needed); returns their seal. */
  static chunkVerify(bytes, expected) {
    return native.chunkVerify(bytes, expected);
  }

  /** The writer id this log appends as (32 hex characters). */
  get actor() {
    return native.logActor(this.#h);
  }
  /** The number of ops applied (the last op's cursor). */
  get cursor() {
    return native.logCursor(this.#h);
  }
  /** The capability epoch. */
  get epoch() {
    return native.logEpoch(this.#h);
  }
  /** Raises the capability epoch, durably (lowering it is INVALID_ARGUMENT). */
  setEpoch(epoch) {
    native.logSetEpoch(this.#h, epoch);
  }

  /**
   * Appends one op. `options` {deps, timestampMs} override the defaults
   * (depend on the heads, stamp with the wall clock). Returns its id.
   */
  append(payload, kind = 0, options) {
    if (options == null) return native.logAppend(this.#h, payload, kind);
    const req = { payload, kind, deps: options.deps, timestampMs: options.timestampMs };
    return native.logAppendMany(this.#h, [req], kind)[0];
  }

  /**
   * Appends several ops in one transaction, all or none. Each item is a
   * payload or {payload, kind, deps, timestampMs}; `kind` is the default.
   */
  appendMany(items, kind = 0) {
    return native.logAppendMany(this.#h, items, kind);
  }

  /**
   * Applies an encoded batch. Returns the ack; per-op rejections (CONFLICT,
   * MISSING_DEPENDENCY, CURSOR_MISMATCH, ...) are in ack.rejected. A refusal
   * of the whole batch (STALE_EPOCH, PERMISSION_DENIED) throws a WeftError
   * with that code and the ack as err.ack; so do MALFORMED bytes and store
   * errors (nothing applied).
   */
  apply(batch) {
    return checkAck(native.logApply(this.#h, batch));
  }
  /** apply off the event loop. */
  async applyAsync(batch) {
    return checkAck(await native.logApplyAsync(this.#h, batch));
  }

  /** Reads ops from cursor `from` (1 = first), at most `max`. */
  read(from = 1, max = Infinity) {
    return new OpIterator(native.logRead(this.#h, from, max));
  }
  [Symbol.iterator]() {
    return this.read();
  }

  /** Op `id` ({actor, counter}), or null if it is not in the log. */
  get(id) {
    return native.logGet(this.#h, id);
  }
  /** Ops nothing else depends on, sorted. */
  heads() {
    return native.logHeads(this.#h);
  }
  /** Every op id in canonical order (lamport, actor, counter). */
  canonicalOrder() {
    return native.logCanonicalOrder(this.#h);
  }
  /** The encoded version vector, for a peer's diff(). */
  versionVector() {
    return native.logVersionVector(this.#h);
  }
  /**
   * Encoded batches of the ops past `vv` (nullish: everything), in
   * dependency order, stamped with `epoch`: the receiver's (default 0),
   * or a receiver at a later epoch refuses them as STALE_EPOCH.
   */
  diff(vv, maxOpsPerBatch, epoch) {
    return native.logDiff(this.#h, vv, maxOpsPerBatch, epoch);
  }
  /** diff off the event loop. */
  async diffAsync(vv, maxOpsPerBatch, epoch) {
    return native.logDiffAsync(this.#h, vv, maxOpsPerBatch, epoch);
  }
  /** Applies `other`'s diff in process; returns the number of ops applied. */
  merge(other) {
    return native.logMerge(this.#h, other.#h);
  }
  /** merge off the event loop (both logs are kept alive until it ends). */
  async mergeAsync(other) {
    return native.logMergeAsync(this.#h, other.#h);
  }
  /** 32 bytes, equal exactly when two logs hold the same ops. */
  digest() {
    return native.logDigest(this.#h);
  }

  /** Seals `actor`'s (default: this log's) next chunk, ending at counter `last`. */
  seal(actor, last, expectedDigest) {
    return native.logSeal(this.#h, actor, last, expectedDigest);
  }
  /** seal off the event loop. */
  async sealAsync(actor, last, expectedDigest) {
    return native.logSealAsync(this.#h, actor, last, expectedDigest);
  }
  /** The bytes of sealed chunk (actor, index), or null if it is not sealed here. */
  chunkGet(actor, index) {
    return native.logChunkGet(this.#h, actor, index);
  }
  /** Stores a peer's sealed chunk and applies its new ops; returns its seal. */
  chunkPut(bytes, expectedDigest) {
    return native.logChunkPut(this.#h, bytes, expectedDigest);
  }
  /** Same as the static Log.chunkVerify. */
  chunkVerify(bytes, expected) {
    return native.chunkVerify(bytes, expected);
  }
  /** Verifies every op hash and chunk chain: {ops, chunks}, or CORRUPT. */
  verify() {
    return native.logVerify(this.#h);
  }
  /** verify off the event loop. */
  async verifyAsync() {
    return native.logVerifyAsync(this.#h);
  }

  /**
   * The durable outbox state of the sync peer `name` (1 to 256 bytes):
   * {ackedCursor, attempts, nextAttemptMs}, all 0 for a peer never recorded.
   */
  peer(name) {
    return native.logPeer(this.#h, name);
  }
  /**
   * Stores `state` for the peer `name` and returns what was stored: the
   * acked cursor never moves backward (a lower one keeps the stored value).
   */
  recordPeer(name, state) {
    return native.logRecordPeer(this.#h, name, state);
  }

  /**
   * Releases the native log now (otherwise the garbage collector does).
   * Later calls throw WeftError INVALID_ARGUMENT; async work already
   * running finishes first. Idempotent.
   */
  close() {
    native.logClose(this.#h);
    this.#closed = true;
  }
  get closed() {
    return this.#closed;
  }
}
if (typeof Symbol.dispose === 'symbol') Log.prototype[Symbol.dispose] = Log.prototype.close;

/** Builds an encoded batch from explicit fields, without judging them. */
class BatchBuilder {
  #h = native.builderNew();

  /** header: {batchId, seq, expectedCursor (null: none), epoch}. */
  setHeader(header) {
    native.builderSetHeader(this.#h, header);
    return this;
  }
  /** op: {id: {actor, counter}, lamport, kind, timestampMs, deps, payload}. */
  addOp(op) {
    native.builderAddOp(this.#h, op);
    return this;
  }
  /** The encoded batch; the builder can go on being used. */
  finish() {
    return native.builderFinish(this.#h);
  }
  /** Releases the native builder now. */
  close() {
    native.builderFree(this.#h);
  }
}

/**
 * A sync session (weft_session): a state machine over byte messages. Move
 * each message from nextMessage() to the peer's receive() over any
 * transport; call tick(nowMs) with a monotonic clock when it is idle, and
 * unanswered messages are resent. Synchronous; keeps its log alive.
 */
class Session {
  #h;
  #closed = false;

  constructor(token, handle) {
    if (token !== kCreate) throw new TypeError('use Session.connect(), Session.accept() or host.accept()');
    this.#h = handle;
  }

  /** The initiating side over `log`: its Hello is the first message. */
  static connect(log, options) {
    return new Session(kCreate, native.sessionConnect(logHandle(log), options));
  }
  /** The responding side over `log` (no token checked: replica to replica). */
  static accept(log, options) {
    return new Session(kCreate, native.sessionAccept(logHandle(log), options));
  }

  /** The next message to send (a Buffer), or null when there is none now. */
  nextMessage() {
    return native.sessionNextMessage(this.#h);
  }
  /** Handles one message from the peer; throws the error that failed the session. */
  receive(message) {
    native.sessionReceive(this.#h, message);
  }
  /** The caller's monotonic clock in ms: resends what is overdue; throws TIMEOUT at the end. */
  tick(nowMs) {
    native.sessionTick(this.#h, nowMs);
  }
  /** {state, error (a WeftError or null), messagesSent, ..., ackedCursor}. */
  get info() {
    return native.sessionInfo(this.#h);
  }
  /** 'handshake' | 'syncing' | 'done' | 'failed'. */
  get state() {
    return native.sessionInfo(this.#h).state;
  }
  /** Whether both directions are complete. */
  get done() {
    return this.state === 'done';
  }
  /** Releases the native session now (otherwise the garbage collector does). */
  close() {
    native.sessionClose(this.#h);
    this.#closed = true;
  }
  get closed() {
    return this.#closed;
  }
}
if (typeof Symbol.dispose === 'symbol') Session.prototype[Symbol.dispose] = Session.prototype.close;

/**
 * A host of many logs (weft_host): serves sessions that present a
 * capability token, and issues, redeems and revokes tokens. Each log's
 * secret is derived from the 32-byte master key and the log id.
 */
class Host {
  #h;
  #closed = false;

  constructor(token, handle) {
    if (token !== kCreate) throw new TypeError('use Host.openMemory() or Host.openDirectory()');
    this.#h = handle;
  }

  /** A host whose logs live in memory, created on first use. */
  static openMemory(masterKey) {
    return new Host(kCreate, native.hostNew(masterKey, null));
  }
  /** A host whose logs live in SQLite files `<directory>/<logId>.db`. */
  static openDirectory(masterKey, directory) {
    if (typeof directory !== 'string') throw notA('a directory path (string)', directory);
    return new Host(kCreate, native.hostNew(masterKey, directory));
  }

  /** A token (Buffer) for `logId` at its current epoch with `scope`. */
  issue(logId, scope) {
    return native.hostIssue(this.#h, logId, scope);
  }
  /** Verifies `token` for `logId`: {epoch, scope, cursor, ops, actors, digest}. */
  redeem(logId, token) {
    return native.hostRedeem(this.#h, logId, token);
  }
  /** Revokes every token of `logId`; returns the new epoch. */
  revoke(logId) {
    return native.hostRevoke(this.#h, logId);
  }
  /** A responding session; the peer's Hello names the log and carries the token. */
  accept(options) {
    return new Session(kCreate, native.hostAccept(this.#h, options));
  }
  /** Releases the native host now (its sessions keep it alive in C). */
  close() {
    native.hostClose(this.#h);
    this.#closed = true;
  }
  get closed() {
    return this.#closed;
  }
}
if (typeof Symbol.dispose === 'symbol') Host.prototype[Symbol.dispose] = Host.prototype.close;

/** 32 bytes from the operating system's CSPRNG: a log secret or master key. */
function newSecret() {
  return native.secretNew();
}
/** A token (Buffer) for `logId` at `epoch` with `scope`, MACed with `secret`. */
function issueToken(secret, logId, epoch, scope) {
  return native.tokenIssue(secret, logId, epoch, scope);
}
/** Verifies `token` for `logId` at `currentEpoch` covering `required`: {epoch, scope}. */
function verifyToken(secret, logId, currentEpoch, token, required) {
  return native.tokenVerify(secret, logId, currentEpoch, token, required);
}
/** How long (ms) to wait before the next attempt for a peer in `state`. */
function retryWaitMs(state, nowWallMs, baseMs, maxMs, seed = 0) {
  return native.retryWaitMs(state, nowWallMs, baseMs, maxMs, seed);
}

/** Decodes and verifies an encoded batch. */
function decodeBatch(bytes) {
  return native.batchDecode(bytes);
}
/** Decodes and verifies canonical chunk bytes: {seal, ops}. */
function decodeChunk(bytes) {
  return native.chunkDecode(bytes);
}
/** Decodes an encoded ack (the same shape apply returns). */
function decodeAck(bytes) {
  return native.ackDecode(bytes);
}
/** The wire encoding of an ack returned by apply or decodeAck. */
function encodeAck(ack) {
  return native.ackEncode(ack);
}
/** Checks chunk bytes on their own; returns their seal record. */
function chunkVerify(bytes, expected) {
  return native.chunkVerify(bytes, expected);
}
/** The canonical name of a status number ('UNKNOWN' for others). */
function statusName(status) {
  return native.statusName(status);
}

/** Counts of native handles not yet released (a debugging aid for tests). */
function liveHandles() {
  return native.liveHandles();
}

module.exports = {
  Log,
  OpIterator,
  BatchBuilder,
  Session,
  Host,
  WeftError,
  Status,
  decodeBatch,
  decodeChunk,
  decodeAck,
  encodeAck,
  chunkVerify,
  statusName,
  liveHandles,
  runConformance,
  newSecret,
  issueToken,
  verifyToken,
  retryWaitMs,
  /** What the weft.h this addon was built against offers. */
  version: native.versionString,
  versionNumber: native.versionNumber,
  headerVersionNumber: native.headerVersionNumber,
};
