// Types of weft's Node binding (index.js, index.mjs). See README.md.
/// <reference types="node" />

/**
 * A 64-bit unsigned integer: a number when it is at most
 * Number.MAX_SAFE_INTEGER, a bigint above. Inputs accept either.
 */
export type U64 = number | bigint;
/** A 64-bit signed integer, returned like U64. */
export type I64 = number | bigint;

/** Bytes in: a Buffer, any TypedArray or DataView (its bytes), or an ArrayBuffer. */
export type BytesLike = ArrayBufferView | ArrayBuffer;
/** A payload: bytes, or a string taken as UTF-8. */
export type Payload = BytesLike | string;
/** An actor: 32 hex characters or 16 bytes. */
export type ActorLike = string | BytesLike;
/** A digest: 64 hex characters or 32 bytes. */
export type HashLike = string | BytesLike;

export type StatusName =
  | 'OK'
  | 'INVALID_ARGUMENT'
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'CHECKSUM_MISMATCH'
  | 'IMMUTABLE_VIOLATION'
  | 'NOT_CONTIGUOUS'
  | 'MISSING_DEPENDENCY'
  | 'CONFLICT'
  | 'CURSOR_MISMATCH'
  | 'STALE_EPOCH'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'BUSY'
  | 'IO_ERROR'
  | 'CORRUPT'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL';

/** Canonical status numbers by name, e.g. Status.CONFLICT === 8. */
export const Status: Readonly<Record<StatusName, number>>;

/** An op id as returned: the actor as 32 lowercase hex characters. */
export interface OpId {
  actor: string;
  counter: U64;
}

/** An op id as accepted. */
export interface OpIdInput {
  actor: ActorLike;
  counter: U64;
}

export interface Op {
  id: OpId;
  lamport: U64;
  /** Position in the log's apply order; 0 in a decoded batch or chunk. */
  cursor: U64;
  kind: number;
  timestampMs: I64;
  /** Explicit dependencies, canonical order (the previous counter of the same actor is implicit). */
  deps: OpId[];
  /** A copy of the payload. */
  payload: Buffer;
  /** BLAKE2b-256 of the op's content (32 bytes). */
  hash: Buffer;
}

export interface Rejection {
  id: OpId;
  code: StatusName;
}

/**
 * What an apply committed (or a decoded ack). Holds a native handle, freed
 * by the garbage collector, so that encodeAck() can re-encode it.
 */
export interface Ack {
  batchId: U64;
  seq: U64;
  /** 'OK' from apply (a batch-level refusal throws); any status from decodeAck. */
  status: StatusName;
  cursor: U64;
  applied: OpId[];
  duplicates: OpId[];
  rejected: Rejection[];
}

/** The record of a sealed chunk. */
export interface Seal {
  actor: string;
  index: U64;
  first: U64;
  last: U64;
  prevDigest: Buffer;
  digest: Buffer;
}

export interface SealInput {
  actor: ActorLike;
  index: U64;
  first: U64;
  last: U64;
  prevDigest: HashLike;
  digest: HashLike;
}

export interface VerifyReport {
  ops: U64;
  chunks: U64;
}

export interface LogOptions {
  /** Append as this actor (else the one stored with the log, or a new random one). */
  actor?: ActorLike;
  /** Seal own ops every N (0: never); default: the store's choice. */
  autoSealOps?: U64;
  maxOps?: number;
  maxPayloadBytes?: number;
  maxDepsPerOp?: number;
  maxActors?: number;
  maxMessageBytes?: U64;
}

/**
 * Log.openSqlite's options: the log's (weft_log_options) and the SQLite
 * store's (weft_sqlite_options) in one object.
 */
export interface SqliteOptions extends LogOptions {
  /** synchronous=FULL: an OK survives power loss (default false). */
  synchronousFull?: boolean;
  /** Wait this long for another writer's lock (default 5000). */
  busyTimeoutMs?: number;
  /** Create the file and log if missing (default true); false: opening never writes. */
  create?: boolean;
  /**
   * Let `path` be ":memory:" or a "file:" URI, which SQLite treats
   * specially (default false: such paths, and an empty one, are
   * INVALID_ARGUMENT).
   */
  specialNames?: boolean;
  /** The log within the file (default "main"). */
  logName?: string;
}

export interface AppendOptions {
  /** Explicit dependencies (default: the log's heads). */
  deps?: OpIdInput[];
  /** Default: the wall clock. */
  timestampMs?: I64;
}

export interface AppendRequest extends AppendOptions {
  payload?: Payload;
  kind?: number;
}

/**
 * A failure reported by weft. `code` is the status name, `status` its
 * number, the message the one of weft_last_error().
 */
export class WeftError extends Error {
  constructor(message: string, code: StatusName, status: number, retryable: boolean);
  readonly name: 'WeftError';
  code: StatusName;
  status: number;
  /** The same request may succeed later unchanged (BUSY, TIMEOUT, IO_ERROR, ...). */
  retryable: boolean;
  /** On a batch-level refusal by apply/applyAsync: the ack that carried it. */
  ack?: Ack;
  /** When a JS store adapter threw an object during the call: what it threw. */
  cause?: unknown;
}

/**
 * A storage adapter written in JS: an ordered key-value database with
 * write transactions (weft_kv_store). Every method is synchronous and runs
 * on the JS thread. To fail with a given status throw a WeftError with it;
 * anything else thrown counts as IO_ERROR. The thrown error's message
 * reaches the caller's WeftError message (weft_error_set). Keys and values
 * given to the adapter are fresh Buffers it may keep.
 */
export interface KvAdapter<Db = unknown, Conn = unknown> {
  /** A new, empty database (the conformance kit makes one per scenario). */
  create?(): Db;
  destroy?(db: Db): void;
  /** Closing every connection and connecting again is a reopen: everything committed must be there. */
  connect(db: Db): Conn;
  disconnect(conn: Conn): void;
  /** Writes become visible and durable together at commit, or vanish at rollback. */
  begin(conn: Conn): void;
  commit(conn: Conn): void;
  rollback(conn: Conn): void;
  put(conn: Conn, key: Buffer, value: Buffer): void;
  /** The value of `key`, or undefined/null if absent. */
  get(conn: Conn, key: Buffer): Uint8Array | null | undefined;
  /** Rows with from <= key < to in ascending byte order, at most `limit` (may be Infinity). */
  scan(conn: Conn, from: Buffer, to: Buffer, limit: number): Iterable<[Uint8Array, Uint8Array]>;
}

export interface ConformanceResult {
  scenario: string;
  outcome: 'pass' | 'fail' | 'skip';
  /** What failed and where, or why skipped; '' on pass. */
  diagnostic: string;
}

/** Ops in cursor order. Exhausting it, or `break`, releases the native iterator. */
export class OpIterator implements IterableIterator<Op> {
  private constructor();
  next(): IteratorResult<Op, undefined>;
  return<T>(value?: T): IteratorResult<Op, T | undefined>;
  [Symbol.iterator](): OpIterator;
}

/** A replicated append-only op log. Internally synchronized. */
export class Log implements Iterable<Op> {
  private constructor();
  static openMemory(options?: LogOptions | null): Log;
  static openSqlite(path: string, options?: SqliteOptions | null): Log;
  static openSqliteAsync(path: string, options?: SqliteOptions | null): Promise<Log>;
  /** A log kept in database `db` of a JS store adapter; it has no async variants. */
  static openKv<Db>(adapter: KvAdapter<Db>, db: Db, options?: LogOptions | null): Log;
  static chunkVerify(bytes: BytesLike, expected?: SealInput | null): Seal;

  readonly actor: string;
  readonly cursor: U64;
  readonly epoch: number;
  readonly closed: boolean;
  setEpoch(epoch: number): void;

  append(payload: Payload, kind?: number, options?: AppendOptions | null): OpId;
  appendMany(items: Array<Payload | AppendRequest>, kind?: number): OpId[];

  /**
   * Applies an encoded batch. Per-op rejections are in the ack; a refusal
   * of the whole batch (STALE_EPOCH, PERMISSION_DENIED) throws a WeftError
   * with `.ack`; MALFORMED bytes and store errors throw too.
   */
  apply(batch: BytesLike): Ack;
  applyAsync(batch: BytesLike): Promise<Ack>;

  read(from?: U64, max?: U64): OpIterator;
  [Symbol.iterator](): OpIterator;
  /** The op, or null when it is not in the log. */
  get(id: OpIdInput): Op | null;
  heads(): OpId[];
  canonicalOrder(): OpId[];
  versionVector(): Buffer;
  /**
   * Batches of the ops past `versionVector`, stamped with `epoch` (the
   * receiver's; default 0).
   */
  diff(versionVector?: BytesLike | null, maxOpsPerBatch?: number | null, epoch?: number | null): Buffer[];
  diffAsync(versionVector?: BytesLike | null, maxOpsPerBatch?: number | null, epoch?: number | null): Promise<Buffer[]>;
  /** Applies other's diff in process; resolves to the number of ops applied. */
  merge(other: Log): U64;
  mergeAsync(other: Log): Promise<U64>;
  digest(): Buffer;

  /** Seals `actor`'s next chunk (null/undefined: this log's actor) ending at `last`. */
  seal(actor: ActorLike | null | undefined, last: U64, expectedDigest?: HashLike | null): Seal;
  sealAsync(actor: ActorLike | null | undefined, last: U64, expectedDigest?: HashLike | null): Promise<Seal>;
  /** The chunk's bytes, or null when (actor, index) is not sealed here. */
  chunkGet(actor: ActorLike | null | undefined, index: U64): Buffer | null;
  chunkPut(bytes: BytesLike, expectedDigest?: HashLike | null): Seal;
  chunkVerify(bytes: BytesLike, expected?: SealInput | null): Seal;
  verify(): VerifyReport;
  verifyAsync(): Promise<VerifyReport>;

  /** The durable outbox state of sync peer `name` (1 to 256 bytes); zeros if never recorded. */
  peer(name: string): PeerState;
  /** Stores `state` for peer `name`; returns what was stored (the acked cursor never moves back). */
  recordPeer(name: string, state: PeerStateInput): PeerState;

  /** Frees the native log now; later calls throw WeftError INVALID_ARGUMENT. Idempotent. */
  close(): void;
}

export interface BatchHeader {
  batchId?: U64;
  seq?: U64;
  /** null or absent: not a compare-and-append. */
  expectedCursor?: U64 | null;
  epoch?: number;
}

export interface OpFields {
  /** The id, or give `actor` and `counter` at the top level. */
  id?: OpIdInput;
  actor?: ActorLike;
  counter?: U64;
  lamport?: U64;
  kind?: number;
  timestampMs?: I64;
  deps?: OpIdInput[];
  payload?: Payload;
}

/** Builds an encoded batch from explicit fields, without judging them. */
export class BatchBuilder {
  constructor();
  setHeader(header: BatchHeader): this;
  addOp(op: OpFields): this;
  finish(): Buffer;
  close(): void;
}

export interface DecodedBatch {
  batchId: U64;
  seq: U64;
  expectedCursor: U64 | null;
  epoch: number;
  ops: Op[];
}

export interface DecodedChunk {
  seal: Seal;
  ops: Op[];
}

export interface LiveHandles {
  log: number;
  iter: number;
  ack: number;
  builder: number;
  session: number;
  host: number;
  total: number;
}

/** What a capability token grants. Outputs give a number for a scope this addon does not know. */
export type Scope = 'read' | 'append' | 'admin';
/** A 32-byte secret or master key: 32 bytes or 64 hex characters. */
export type SecretLike = string | BytesLike;

/** What a log remembers about one sync peer (weft_peer_state). */
export interface PeerState {
  /** Every op at a local cursor up to this one is at the peer. */
  ackedCursor: U64;
  /** Failed attempts since the last progress. */
  attempts: number;
  /** Wall clock (ms since 1970) of the next attempt; 0: now. */
  nextAttemptMs: U64;
}
export type PeerStateInput = Partial<PeerState>;

export interface Grant {
  epoch: number;
  scope: Scope | number;
}

export interface RedeemInfo extends Grant {
  /** The log's cursor now. */
  cursor: U64;
  /** Ops the log holds. */
  ops: U64;
  /** Writers the log knows. */
  actors: U64;
  /** The log's digest now (32 bytes). */
  digest: Buffer;
}

/** weft_session_options; absent fields keep the library's defaults. */
export interface SessionOptions {
  /** Send the peer what it lacks (default true). */
  push?: boolean;
  /** Apply what the peer sends (default true). */
  accept?: boolean;
  /** Ops per batch (default 4096; at least 1). */
  maxBatchOps?: number;
  /** Payload bytes per batch (default 1 MiB). */
  maxBatchBytes?: U64;
  /** Bytes per Chunks message (default 8 MiB). */
  maxChunksBytes?: U64;
  /** Data messages in flight (default 8; at least 1). */
  window?: number;
  /** Send sealed chunks to peers far behind (default true). */
  shipChunks?: boolean;
  /** The name the log keeps this peer's outbox state under (default: none). */
  peer?: string;
  /** Initiator: the log a host should serve. */
  logId?: string;
  /** Initiator: the capability token for it. */
  token?: BytesLike;
  /** First resend after (default 1000 ms). */
  retryBaseMs?: U64;
  /** Longest wait between resends (default 60000 ms). */
  retryMaxMs?: U64;
  /** Fail with TIMEOUT after this many resends (default 8; 0 never). */
  retryMaxAttempts?: number;
  /** Jitter seed (default 0). */
  retrySeed?: U64;
}

export type SessionState = 'handshake' | 'syncing' | 'done' | 'failed';

/** weft_session_info, with the failure as a WeftError. */
export interface SessionInfo {
  state: SessionState | number;
  /** Why the session failed (code and message), or null. */
  error: WeftError | null;
  messagesSent: U64;
  bytesSent: U64;
  messagesReceived: U64;
  bytesReceived: U64;
  batchesSent: U64;
  chunksSent: U64;
  opsSent: U64;
  /** Data messages sent again after tick(). */
  resends: U64;
  staleAcks: U64;
  /** Of the peer's ops: applied, already here, rejected. */
  applied: U64;
  duplicates: U64;
  rejected: U64;
  /** Of ours, at the peer. */
  peerApplied: U64;
  peerDuplicates: U64;
  peerRejected: U64;
  opsToSend: U64;
  opsAcked: U64;
  /** The peer's durable acked cursor. */
  ackedCursor: U64;
}

/**
 * A sync session: a state machine over byte messages the application
 * carries. Synchronous; keeps its log (or host) alive.
 */
export class Session {
  private constructor();
  static connect(log: Log, options?: SessionOptions | null): Session;
  static accept(log: Log, options?: SessionOptions | null): Session;
  /** The next message to send, or null when there is none now. */
  nextMessage(): Buffer | null;
  /** Throws the WeftError that failed the session (then state is 'failed'). */
  receive(message: BytesLike): void;
  /** The caller's monotonic clock in ms; resends what is overdue, throws TIMEOUT at the end. */
  tick(nowMs: U64): void;
  readonly info: SessionInfo;
  readonly state: SessionState | number;
  readonly done: boolean;
  readonly closed: boolean;
  close(): void;
}

/** A host of many logs, serving sessions that present a token. Internally synchronized. */
export class Host {
  private constructor();
  static openMemory(masterKey: SecretLike): Host;
  /** Logs in SQLite files `<directory>/<logId>.db`. */
  static openDirectory(masterKey: SecretLike, directory: string): Host;
  issue(logId: string, scope: Scope | number): Buffer;
  redeem(logId: string, token: BytesLike): RedeemInfo;
  /** Returns the new epoch: every older token fails with STALE_EPOCH. */
  revoke(logId: string): number;
  /** A responding session; options' push, accept, peer, logId and token are ignored. */
  accept(options?: SessionOptions | null): Session;
  readonly closed: boolean;
  close(): void;
}

/** 32 bytes from the operating system's CSPRNG. */
export function newSecret(): Buffer;
export function issueToken(secret: SecretLike, logId: string, epoch: number, scope: Scope | number): Buffer;
export function verifyToken(
  secret: SecretLike,
  logId: string,
  currentEpoch: number,
  token: BytesLike,
  required: Scope | number,
): Grant;
/** How long (ms) to wait before the next attempt for a peer in `state`. */
export function retryWaitMs(state: PeerStateInput, nowWallMs: U64, baseMs: U64, maxMs: U64, seed?: U64): U64;

export function decodeBatch(bytes: BytesLike): DecodedBatch;
export function decodeChunk(bytes: BytesLike): DecodedChunk;
export function decodeAck(bytes: BytesLike): Ack;
/** Re-encodes an ack returned by apply/applyAsync/decodeAck (not a plain copy of one). */
export function encodeAck(ack: Ack): Buffer;
export function chunkVerify(bytes: BytesLike, expected?: SealInput | null): Seal;
export function statusName(status: number): StatusName | 'UNKNOWN';
/** Native handles not yet released in this thread's instance of the addon. */
export function liveHandles(): LiveHandles;
/**
 * Runs weft's storage conformance kit against a JS store adapter (which
 * needs create and destroy), each scenario on a fresh database.
 */
export function runConformance(adapter: KvAdapter, options?: { only?: string }): ConformanceResult[];

/** The loaded library's version string, e.g. "0.3.0". */
export const version: string;
/** weft_version_number() of the loaded library. */
export const versionNumber: number;
/** WEFT_VERSION_NUMBER of the header the addon was built with. */
export const headerVersionNumber: number;

declare const weft: {
  Log: typeof Log;
  OpIterator: typeof OpIterator;
  BatchBuilder: typeof BatchBuilder;
  Session: typeof Session;
  Host: typeof Host;
  WeftError: typeof WeftError;
  Status: typeof Status;
  decodeBatch: typeof decodeBatch;
  decodeChunk: typeof decodeChunk;
  decodeAck: typeof decodeAck;
  encodeAck: typeof encodeAck;
  chunkVerify: typeof chunkVerify;
  statusName: typeof statusName;
  liveHandles: typeof liveHandles;
  runConformance: typeof runConformance;
  newSecret: typeof newSecret;
  issueToken: typeof issueToken;
  verifyToken: typeof verifyToken;
  retryWaitMs: typeof retryWaitMs;
  version: string;
  versionNumber: number;
  headerVersionNumber: number;
};
export default weft;
