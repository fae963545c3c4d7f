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

export interface SqliteOptions extends LogOptions {
  /** synchronous=FULL: survives power loss (default false). */
  synchronousFull?: boolean;
  /** Wait this long for another writer's lock (default 5000). */
  busyTimeoutMs?: number;
  /** Create the file and log if missing (default true). */
  create?: boolean;
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
  /** When a JS store adapter threw during the call: what it threw. */
  cause?: unknown;
}

/**
 * A storage adapter written in JS: an ordered key-value database with
 * write transactions (weft_kv_store). Every method is synchronous and runs
 * on the JS thread. To fail with a given status throw a WeftError with it;
 * anything else thrown counts as IO_ERROR. Keys and values given to the
 * adapter are fresh Buffers it may keep.
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
  total: number;
}

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

/** The loaded library's version string, e.g. "0.1.0". */
export const version: string;
/** weft_version_number() of the loaded library. */
export const versionNumber: number;
/** WEFT_VERSION_NUMBER of the header the addon was built with. */
export const headerVersionNumber: number;

declare const weft: {
  Log: typeof Log;
  OpIterator: typeof OpIterator;
  BatchBuilder: typeof BatchBuilder;
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
  version: string;
  versionNumber: number;
  headerVersionNumber: number;
};
export default weft;
