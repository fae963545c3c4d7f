/*
 * weft.h: the stable C ABI of weft, a durable, replicated, append-only
 * operation log. If it is not in this file, it is not a published API.
 *
 * Conventions (docs/c-api.md):
 *  - Every fallible function returns a status: WEFT_OK (0) or one of the
 *    canonical codes below, whose values never change. On failure,
 *    weft_last_error() describes it and every output is NULL or zero.
 *  - Outputs come first: a function's out-parameters precede its inputs
 *    (a single one is named `out`), and an optional output may be NULL.
 *  - Lists are read with a _count function and an _at(out, obj, index)
 *    function; _count is infallible and answers 0 for NULL.
 *  - Structs passed in start with struct_size, set by their _init function
 *    from the size the caller was compiled with: any size from the
 *    struct's first layout (the end of the last field of the release that
 *    introduced it) up to this library's is accepted, fields past it keep
 *    their defaults; a larger size (a caller built against a newer weft) is
 *    refused with WEFT_INVALID_ARGUMENT.
 *  - Handles returned through an `out` parameter belong to the caller, who
 *    releases them with the matching _free function (which accepts NULL).
 *    Child handles (iterators) keep their parent alive: handles may be
 *    freed in any order.
 *  - Output bytes come in a weft_buf, released with weft_buf_free. Input
 *    bytes are (pointer, length) pairs and are copied; a NULL pointer is
 *    allowed only with length 0. Text is UTF-8, NUL-terminated.
 *  - Borrowed pointers (in weft_op_view, weft_error) say which call
 *    invalidates them.
 *  - No global initialisation or shutdown.
 *  - Thread-safety: each opaque type ends its documentation with one
 *    label: immutable, internally synchronized, or one thread at a time.
 *    A handle only read by a function is passed as const.
 *  - No C++ exception ever crosses this boundary.
 *  - Lower-stability surface for tools, tests and storage adapters (the
 *    batch builder, key-value adapters, the conformance kit) is in
 *    weft/sys/weft_sys.h, which may change in a minor release.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define WEFT_API __declspec(dllexport)
#elif defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions */

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 3
#define WEFT_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define WEFT_VERSION_NUMBER 300
/* Nonzero if this header is weft major.minor.patch or newer (compile time;
   compare weft_version_number() at run time). @since 0.3 */
#define WEFT_VERSION_CHECK(major, minor, patch) \
  (WEFT_VERSION_NUMBER >= ((major) * 10000 + (minor) * 100 + (patch)))

/**
 * The version of the library loaded at run time, as WEFT_VERSION_NUMBER.
 * Bindings compare it with the header they were built against.
 * Thread-safe. @since 0.3
 */
WEFT_API uint32_t weft_version_number(void);

/** The run-time version as "MAJOR.MINOR.PATCH"; static storage. @since 0.3 */
WEFT_API const char *weft_version_string(void);

/* ----------------------------------------------------------------- status */

/* Canonical status codes: append-only, never renumbered. */
typedef enum weft_status_code {
  WEFT_OK = 0,
  WEFT_INVALID_ARGUMENT = 1,
  WEFT_MALFORMED = 2,
  WEFT_UNSUPPORTED_VERSION = 3,
  WEFT_CHECKSUM_MISMATCH = 4,
  WEFT_IMMUTABLE_VIOLATION = 5,
  WEFT_NOT_CONTIGUOUS = 6,
  WEFT_MISSING_DEPENDENCY = 7,
  WEFT_CONFLICT = 8,
  WEFT_CURSOR_MISMATCH = 9,
  WEFT_STALE_EPOCH = 10,
  WEFT_PERMISSION_DENIED = 11,
  WEFT_NOT_FOUND = 12,
  WEFT_CANCELLED = 13,
  WEFT_TIMEOUT = 14,
  WEFT_BUSY = 15,
  WEFT_IO_ERROR = 16,
  WEFT_CORRUPT = 17,
  WEFT_RESOURCE_EXHAUSTED = 18,
  WEFT_INTERNAL = 19
} weft_status_code;

/** "OK", "MALFORMED", ...; "UNKNOWN" for other values. Static storage. @since 0.3 */
WEFT_API const char *weft_status_name(int32_t status);

/**
 * 1 if a request that failed with `status` may succeed later unchanged
 * (BUSY, TIMEOUT, IO_ERROR, RESOURCE_EXHAUSTED, MISSING_DEPENDENCY), else 0.
 * @since 0.3
 */
WEFT_API int32_t weft_status_retryable(int32_t status);

/* The last failure on the calling thread. */
typedef struct weft_error {
  int32_t code;        /* a weft_status_code; WEFT_OK after a successful call */
  uint32_t reserved;
  const char *message; /* UTF-8, NUL-terminated, never NULL; "" after success */
  size_t message_len;
} weft_error;

/**
 * The outcome of the last fallible weft call (one returning a status) made
 * on this thread: its code and a message naming what was wrong (which op,
 * field, chunk or file). Never NULL. Every fallible call resets it, so read
 * it right after the call that failed; infallible calls (_free, _init,
 * _count, names, versions) leave it alone. The pointer and its message stay
 * valid until the next fallible weft call on this thread. Thread-local.
 * @since 0.3
 */
WEFT_API const weft_error *weft_last_error(void);

/**
 * For callbacks (storage adapters, and every later callback): sets the
 * message that describes the failure the callback is about to return, and
 * returns `code`, so a callback ends with
 *     return weft_error_set(WEFT_IO_ERROR, "disk full on /data");
 * When the callback returns that code, weft's caller sees it with this
 * message in weft_last_error() (prefixed with what weft was doing), instead
 * of a generic one; bindings need not parse weft's text. `message` (UTF-8,
 * NUL-terminated; NULL means "") is copied; line breaks become "; ". Call
 * it last, on the thread weft called the callback on: any fallible weft
 * call made after it (inside the callback) drops the message, and so does
 * returning another code. Thread-local; never fails. @since 0.3
 */
WEFT_API int32_t weft_error_set(int32_t code, const char *message);

/* ---------------------------------------------------------------- buffers */

/* Bytes owned by weft and handed to the caller. */
typedef struct weft_buf {
  uint8_t *data;
  size_t len;
} weft_buf;

/**
 * Releases `buf->data` and sets `buf` to {NULL, 0}. NULL, or a buffer
 * already released, is a no-op. Use this, never free(). @since 0.3
 */
WEFT_API void weft_buf_free(weft_buf *buf);

/* A list of byte strings (the batches of a diff). Immutable. */
typedef struct weft_bufs weft_bufs;

/** The number of byte strings in `bufs` (0 for NULL). @since 0.3 */
WEFT_API size_t weft_bufs_count(const weft_bufs *bufs);

/**
 * Borrows byte string `index` of `bufs`: *data and *len stay valid until
 * weft_bufs_free(bufs).
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL argument, index out of range).
 * @since 0.3
 */
WEFT_API int32_t weft_bufs_at(const uint8_t **data, size_t *len, const weft_bufs *bufs,
                              size_t index);

/** Releases `bufs`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_bufs_free(weft_bufs *bufs);

/* ------------------------------------------------------------- identities */

typedef struct weft_actor {
  uint8_t bytes[16];
} weft_actor;

typedef struct weft_op_id {
  weft_actor actor;
  uint64_t counter; /* from 1, contiguous per actor */
} weft_op_id;

typedef struct weft_hash {
  uint8_t bytes[32];
} weft_hash;

/* The record of a sealed chunk. */
typedef struct weft_seal {
  weft_actor actor;
  uint64_t index; /* 0-based chunk number of the actor */
  uint64_t first; /* counter range [first, last] */
  uint64_t last;
  weft_hash prev_digest; /* zeros for chunk 0 */
  weft_hash digest;      /* BLAKE2b-256 of the chunk's bytes */
} weft_seal;

/*
 * A borrowed view of one op. Pointers inside stay valid as long as the
 * object the view was taken from (documented at each function).
 */
typedef struct weft_op_view {
  weft_op_id id;
  uint64_t lamport;
  uint64_t cursor;   /* position in the log's apply order; 0 outside a log */
  int64_t timestamp_ms;
  uint32_t kind;
  uint32_t reserved;
  const weft_op_id *deps; /* explicit dependencies, canonical order */
  size_t deps_len;
  const uint8_t *payload;
  size_t payload_len;
  weft_hash hash; /* BLAKE2b-256 of the op's content */
} weft_op_view;

/* ------------------------------------------------------------------- logs */

/* The kind of a join op: no payload, minted by an append whose writer has
   seen more concurrent heads than one op may depend on; each join depends
   on a slice of them, and the appended op follows the last join
   (docs/contract.md, "Appends"). Readers may skip it; appending it is
   WEFT_INVALID_ARGUMENT. @since 0.3 */
#define WEFT_KIND_JOIN 0xFFFFFFFFu

/* Options for opening a log, whatever its store. Initialise with
   weft_log_options_init. */
typedef struct weft_log_options {
  uint32_t struct_size;       /* set by weft_log_options_init */
  uint32_t has_actor;         /* nonzero: append as `actor` (see weft_log_actor) */
  weft_actor actor;           /* else the one stored with the log, or a new random one */
  uint64_t auto_seal_ops;     /* seal own ops every N; UINT64_MAX (default): the store's choice */
  uint32_t max_ops;           /* per batch or chunk (default 1048576; at least 1) */
  uint32_t max_payload_bytes; /* per op (default 16 MiB) */
  uint32_t max_deps_per_op;   /* default 1024 */
  uint32_t max_actors;        /* per batch, chunk or ack (default 65536; at least 1); version
                                 vectors name every writer, bounded by max_message_bytes */
  uint64_t max_message_bytes; /* default 256 MiB; at least 64 */
} weft_log_options;

/**
 * Fills the first `struct_size` bytes of `opts` with the defaults and sets
 * opts->struct_size. Pass sizeof(weft_log_options) as your program sees it: a program
 * built against an older header passes its smaller size, and nothing past
 * it is written.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, a size below the
 * struct's first layout, or above this library's: built against a newer
 * weft). @since 0.3
 */
WEFT_API int32_t weft_log_options_init(weft_log_options *opts, size_t struct_size);

/* Options of the SQLite store. Initialise with weft_sqlite_options_init. */
typedef struct weft_sqlite_options {
  uint32_t struct_size;      /* set by weft_sqlite_options_init */
  uint32_t synchronous_full; /* nonzero: synchronous=FULL, an OK survives power loss (default 0) */
  uint32_t busy_timeout_ms;  /* wait for another writer's lock (default 5000) */
  uint32_t create;           /* create the file and the log if missing (default 1); 0: never write at open */
  uint32_t special_names;    /* nonzero: `path` may be ":memory:" or a "file:" URI (default 0) */
  uint32_t reserved;
  const char *log_name;      /* the log within the file; NULL means "main" */
} weft_sqlite_options;

/**
 * Fills the first `struct_size` bytes of `opts` with the defaults and sets
 * opts->struct_size (the convention of weft_log_options_init).
 * Returns WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_sqlite_options_init(weft_sqlite_options *opts, size_t struct_size);

/*
 * A log: the engine over a store. Internally synchronized: every function
 * taking a weft_log may be called from any thread.
 */
typedef struct weft_log weft_log;

/**
 * Opens a new, empty in-memory log. `opts` may be NULL (defaults).
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT (out is NULL,
 * opts->struct_size too small), WEFT_RESOURCE_EXHAUSTED.
 * The caller owns *out (weft_log_free). @since 0.3
 */
WEFT_API int32_t weft_log_open_memory(weft_log **out, const weft_log_options *opts);

/**
 * Opens the log sqlite->log_name in the SQLite database file at `path`
 * (UTF-8), creating the file and the log if sqlite->create. `opts` and
 * `sqlite` may be NULL (defaults). Without create, opening never writes.
 * A file copied or restored from another replica appends under a fresh
 * writer (docs/storage.md, "Copies and restores").
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT (NULL out or path, an
 * empty path, a special name without special_names, bad options, a
 * database of another application), WEFT_NOT_FOUND (missing or empty, and
 * create is 0), WEFT_CORRUPT (not a database, or damaged),
 * WEFT_UNSUPPORTED_VERSION (a newer weft schema; an older one without
 * create), WEFT_CONFLICT (opts->actor minted past what this file holds: a
 * copied or restored file; only with create), WEFT_IO_ERROR, WEFT_BUSY.
 * The caller owns *out (weft_log_free). @since 0.3
 */
WEFT_API int32_t weft_log_open_sqlite(weft_log **out, const char *path,
                                      const weft_log_options *opts,
                                      const weft_sqlite_options *sqlite);

/**
 * Releases the caller's reference. The log closes when its iterators are
 * released too. NULL is a no-op. Like every _free, it must not race with
 * another call on the same handle: finish or join those calls first.
 * @since 0.3
 */
WEFT_API void weft_log_free(weft_log *log);

/**
 * The writer id this log appends as. It can change: a log whose store is a
 * copy or a restore of another replica's, found at open or when a peer
 * holds more of the writer than the log does, appends under a fresh one.
 * WEFT_OK, or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_log_actor(weft_actor *out, const weft_log *log);

/** The number of ops applied (the last op's cursor). WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_log_cursor(uint64_t *out, const weft_log *log);

/** The capability epoch. WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_log_epoch(uint32_t *out, const weft_log *log);

/**
 * Raises the capability epoch, durably; batches of older epochs are then
 * refused as STALE_EPOCH. Returns WEFT_OK, WEFT_INVALID_ARGUMENT (NULL log,
 * or `epoch` below the current one), or a store error (WEFT_BUSY,
 * WEFT_IO_ERROR, ...). @since 0.3
 */
WEFT_API int32_t weft_log_set_epoch(weft_log *log, uint32_t epoch);

/**
 * Appends one op with `payload` and `kind`, depending on the log's current
 * heads, stamped with the wall clock, in its own transaction.
 * Returns WEFT_OK and *out (may be NULL if not wanted), or
 * WEFT_INVALID_ARGUMENT (NULL log, NULL payload with len > 0, payload over
 * the limit), WEFT_CONFLICT (an explicit writer this store was copied or
 * restored under), or a store error (WEFT_BUSY, WEFT_IO_ERROR, ...).
 * @since 0.3
 */
WEFT_API int32_t weft_log_append(weft_op_id *out, weft_log *log, const uint8_t *payload,
                                 size_t payload_len, uint32_t kind);

/* An append with every field explicit. Initialise with weft_append_request_init. */
typedef struct weft_append_request {
  uint32_t struct_size;
  uint32_t kind;
  const uint8_t *payload;
  size_t payload_len;
  uint32_t has_timestamp; /* nonzero: use timestamp_ms, else the wall clock */
  uint32_t has_deps;      /* nonzero: depend on deps[], else on the heads */
  int64_t timestamp_ms;
  const weft_op_id *deps;
  size_t deps_len;
} weft_append_request;

/**
 * Fills the first `struct_size` bytes of `req` with the defaults (no payload, the heads, the wall clock) and sets
 * req->struct_size. Pass sizeof(weft_append_request) as your program sees it: a program
 * built against an older header passes its smaller size, and nothing past
 * it is written.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, a size below the 0.1
 * layout, or above this library's: built against a newer weft). @since 0.3
 */
WEFT_API int32_t weft_append_request_init(weft_append_request *req, size_t struct_size);

/**
 * Appends the ops of `reqs[0..count)` in one transaction: all or none.
 * `out` (may be NULL) receives `count` ids.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT (NULL log or reqs with count > 0,
 * bad struct_size, a self-dependency, a payload over the limit),
 * WEFT_MISSING_DEPENDENCY (an explicit dependency is not in the log),
 * WEFT_CONFLICT (as weft_log_append), or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_append_many(weft_op_id *out, weft_log *log,
                                      const weft_append_request *reqs, size_t count);

/*
 * What an apply committed. Immutable: safe to read from any thread.
 */
typedef struct weft_ack weft_ack;

typedef struct weft_ack_info {
  uint64_t batch_id;
  uint64_t seq;
  int32_t status; /* WEFT_OK, or a batch-level refusal (STALE_EPOCH, PERMISSION_DENIED) */
  uint32_t reserved;
  uint64_t cursor;
} weft_ack_info;

/**
 * Applies an encoded batch (the wire format) with the five apply rules, in
 * one transaction. A refusal of the batch or of single ops is reported in
 * the ack, not as a status.
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT (NULL log or out, NULL
 * bytes with len > 0), WEFT_MALFORMED (bytes that are not a valid batch;
 * nothing applied), WEFT_UNSUPPORTED_VERSION, or a store error (nothing
 * applied). The caller owns *out (weft_ack_free). @since 0.3
 */
WEFT_API int32_t weft_log_apply(weft_ack **out, weft_log *log, const uint8_t *batch,
                                size_t batch_len);

/** The ack's header. WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_ack_get_info(weft_ack_info *out, const weft_ack *ack);

/** The number of ops applied (0 for NULL). @since 0.3 */
WEFT_API size_t weft_ack_applied_count(const weft_ack *ack);

/** Applied op `index`. WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3 */
WEFT_API int32_t weft_ack_applied_at(weft_op_id *out, const weft_ack *ack, size_t index);

/** The number of duplicates (0 for NULL). @since 0.3 */
WEFT_API size_t weft_ack_duplicate_count(const weft_ack *ack);

/** Duplicate op `index`. WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3 */
WEFT_API int32_t weft_ack_duplicate_at(weft_op_id *out, const weft_ack *ack, size_t index);

/** The number of rejected ops (0 for NULL). @since 0.3 */
WEFT_API size_t weft_ack_rejected_count(const weft_ack *ack);

/**
 * Rejected op `index` and its code (a weft_status_code).
 * WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3
 */
WEFT_API int32_t weft_ack_rejected_at(weft_op_id *out, int32_t *code, const weft_ack *ack,
                                      size_t index);

/** The ack's wire encoding. WEFT_OK, WEFT_INVALID_ARGUMENT. Caller owns *out. @since 0.3 */
WEFT_API int32_t weft_ack_encode(weft_buf *out, const weft_ack *ack);

/**
 * Decodes an encoded ack. WEFT_OK and *out, or WEFT_INVALID_ARGUMENT,
 * WEFT_MALFORMED, WEFT_UNSUPPORTED_VERSION. Caller owns *out. @since 0.3
 */
WEFT_API int32_t weft_ack_decode(weft_ack **out, const uint8_t *bytes, size_t len);

/** Releases `ack`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_ack_free(weft_ack *ack);

/*
 * An iterator over a log's ops in cursor order. It keeps its log alive.
 * One thread at a time.
 */
typedef struct weft_iter weft_iter;

/**
 * Starts reading at `from_cursor` (1 is the first op; 0 reads as 1), at most `max` ops
 * (UINT64_MAX: to the end as of each page read).
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT. Caller owns *out.
 * @since 0.3
 */
WEFT_API int32_t weft_log_read(weft_iter **out, const weft_log *log, uint64_t from_cursor,
                               uint64_t max);

/**
 * Advances: *has_op is 1 and *out describes the next op, or *has_op is 0
 * at the end. The view's pointers stay valid until the next
 * weft_iter_next on `iter` or weft_iter_free(iter).
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, or a store error (WEFT_CORRUPT
 * naming a damaged op or chunk, WEFT_IO_ERROR, ...). @since 0.3
 */
WEFT_API int32_t weft_iter_next(weft_op_view *out, uint32_t *has_op, weft_iter *iter);

/** Releases `iter`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_iter_free(weft_iter *iter);

/* One op owned by the caller. Immutable. */
typedef struct weft_op weft_op;

/**
 * Gets op `id`. Returns WEFT_OK and *out, WEFT_NOT_FOUND if it is not in
 * the log, WEFT_INVALID_ARGUMENT, or a store error (WEFT_CORRUPT, ...).
 * Caller owns *out (weft_op_free). @since 0.3
 */
WEFT_API int32_t weft_log_get(weft_op **out, const weft_log *log, const weft_op_id *id);

/** A view of `op`, valid until weft_op_free(op). WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_op_get_view(weft_op_view *out, const weft_op *op);

/** Releases `op`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_op_free(weft_op *op);

/**
 * Copies the log's heads (ops nothing else depends on, sorted) into
 * out[0..capacity) and their number into *len. Call with capacity 0 (out
 * may be NULL) to learn the number.
 * Returns WEFT_OK (also when capacity < *len: only capacity ids are
 * written), or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_log_heads(weft_op_id *out, size_t capacity, size_t *len,
                                const weft_log *log);

/**
 * Copies the ids of every op in canonical order (lamport, actor, counter),
 * like weft_log_heads. Returns WEFT_OK, WEFT_INVALID_ARGUMENT, or a store
 * error. @since 0.3
 */
WEFT_API int32_t weft_log_canonical_order(weft_op_id *out, size_t capacity, size_t *len,
                                          const weft_log *log);

/**
 * The log's version vector, encoded (a weft message, docs/format.md).
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT. Caller owns *out. @since 0.3
 */
WEFT_API int32_t weft_log_version_vector(weft_buf *out, const weft_log *log);

/**
 * The ops this log has past the encoded version vector `vv` (from a peer's
 * weft_log_version_vector; NULL with vv_len 0 means an empty one), as
 * encoded batches in dependency order, each at most `max_ops_per_batch`
 * ops (0: the default, 4096), stamped with `epoch`: the capability epoch
 * the receiver holds (its weft_log_epoch), or it refuses them as
 * STALE_EPOCH. Batch ids and sequence numbers are 0 (sync sessions assign
 * them).
 * Returns WEFT_OK and *out, WEFT_INVALID_ARGUMENT, WEFT_MALFORMED (vv),
 * or a store error. Caller owns *out (weft_bufs_free). @since 0.3
 */
WEFT_API int32_t weft_log_diff(weft_bufs **out, const weft_log *log, const uint8_t *vv,
                               size_t vv_len, uint32_t max_ops_per_batch, uint32_t epoch);

/**
 * Merges `other` into `log` in process: log applies other's diff since
 * log's version vector. *applied (may be NULL) receives the number of ops
 * applied. If `other` holds more of log's writer than log does, log is a
 * copy or a restore: it appends under a fresh writer from then on.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, or the first failing apply's
 * status. @since 0.3
 */
WEFT_API int32_t weft_log_merge(uint64_t *applied, weft_log *log, const weft_log *other);

/**
 * 32 bytes equal exactly when two logs hold the same ops.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_digest(weft_hash *out, const weft_log *log);

/**
 * Seals the next chunk of `actor`'s ops, ending at counter `last`. If
 * `expected_digest` is not NULL it must match.
 * Returns WEFT_OK and *out (may be NULL), WEFT_INVALID_ARGUMENT (NULL log
 * or actor, `last` inside a sealed chunk), WEFT_NOT_FOUND (no such actor
 * or counter), WEFT_CHECKSUM_MISMATCH, or a store error. Sealing the same
 * range again answers the existing seal. @since 0.3
 */
WEFT_API int32_t weft_log_seal(weft_seal *out, weft_log *log, const weft_actor *actor,
                               uint64_t last, const weft_hash *expected_digest);

/**
 * The bytes of sealed chunk (actor, index). Returns WEFT_OK and *out,
 * WEFT_NOT_FOUND, WEFT_INVALID_ARGUMENT, or a store error. Caller owns *out.
 * @since 0.3
 */
WEFT_API int32_t weft_log_chunk_get(weft_buf *out, const weft_log *log, const weft_actor *actor,
                                    uint64_t index);

/**
 * Stores a sealed chunk from a peer and applies its new ops, in one
 * transaction. If `expected_digest` is not NULL it must match.
 * Returns WEFT_OK and *out (may be NULL); the same bytes again are OK.
 * Errors: WEFT_INVALID_ARGUMENT, WEFT_MALFORMED, WEFT_UNSUPPORTED_VERSION,
 * WEFT_CHECKSUM_MISMATCH (digest, or broken chain), WEFT_NOT_CONTIGUOUS
 * (chunk k before k-1), WEFT_IMMUTABLE_VIOLATION (other bytes for a sealed
 * chunk), WEFT_CONFLICT, WEFT_MISSING_DEPENDENCY, or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_chunk_put(weft_seal *out, weft_log *log, const uint8_t *bytes,
                                    size_t len, const weft_hash *expected_digest);

/**
 * Checks chunk bytes on their own: canonical, decodable, and, if
 * `expected` is not NULL, matching that seal record (digest, actor, index,
 * range, previous digest). *out (may be NULL) receives the chunk's seal.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, WEFT_MALFORMED,
 * WEFT_UNSUPPORTED_VERSION, or WEFT_CHECKSUM_MISMATCH. Thread-safe. @since 0.3
 */
WEFT_API int32_t weft_chunk_verify(weft_seal *out, const uint8_t *bytes, size_t len,
                                   const weft_seal *expected);

/**
 * Verifies the whole log: every op against its hash, the cursor and each
 * writer's stored state against the ops, cursor order against every
 * dependency, every chunk against its digest and chain. Reads only.
 * *ops and *chunks (may be NULL) receive the counts.
 * Returns WEFT_OK, WEFT_CORRUPT naming the first bad op, writer or chunk,
 * WEFT_INVALID_ARGUMENT, or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_verify(uint64_t *ops, uint64_t *chunks, const weft_log *log);

/* ---------------------------------------------------------------- format */

/* A decoded batch. Immutable. */
typedef struct weft_batch weft_batch;

typedef struct weft_batch_info {
  uint64_t batch_id;
  uint64_t seq;
  uint32_t has_expected_cursor;
  uint32_t epoch;
  uint64_t expected_cursor;
} weft_batch_info;

/**
 * Decodes and verifies an encoded batch. WEFT_OK and *out, or
 * WEFT_INVALID_ARGUMENT, WEFT_MALFORMED (naming the field),
 * WEFT_UNSUPPORTED_VERSION. Caller owns *out (weft_batch_free). @since 0.3
 */
WEFT_API int32_t weft_batch_decode(weft_batch **out, const uint8_t *bytes, size_t len);

/** The batch's header. WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_batch_get_info(weft_batch_info *out, const weft_batch *batch);

/** The number of ops in `batch` (0 for NULL). @since 0.3 */
WEFT_API size_t weft_batch_op_count(const weft_batch *batch);

/**
 * A view of op `index` (cursor 0), valid until weft_batch_free(batch).
 * WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3
 */
WEFT_API int32_t weft_batch_op_at(weft_op_view *out, const weft_batch *batch, size_t index);

/** Releases `batch`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_batch_free(weft_batch *batch);

/* A decoded chunk. Immutable. */
typedef struct weft_chunk weft_chunk;

/**
 * Decodes and verifies chunk bytes (which must be canonical). WEFT_OK and
 * *out, or WEFT_INVALID_ARGUMENT, WEFT_MALFORMED, WEFT_UNSUPPORTED_VERSION.
 * Caller owns *out (weft_chunk_free). @since 0.3
 */
WEFT_API int32_t weft_chunk_decode(weft_chunk **out, const uint8_t *bytes, size_t len);

/** The chunk's seal record. WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3 */
WEFT_API int32_t weft_chunk_get_seal(weft_seal *out, const weft_chunk *chunk);

/** The number of ops in `chunk` (0 for NULL). @since 0.3 */
WEFT_API size_t weft_chunk_op_count(const weft_chunk *chunk);

/**
 * A view of op `index`, valid until weft_chunk_free(chunk).
 * WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3
 */
WEFT_API int32_t weft_chunk_op_at(weft_op_view *out, const weft_chunk *chunk, size_t index);

/** Releases `chunk`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_chunk_free(weft_chunk *chunk);

/* ------------------------------------------------------- outbox state */

/* What a log remembers about one sync peer (docs/sync.md). */
typedef struct weft_peer_state {
  uint64_t acked_cursor;    /* every op at a local cursor <= this is at the peer */
  uint32_t attempts;        /* failed attempts since the last progress */
  uint32_t reserved;
  uint64_t next_attempt_ms; /* wall clock (ms since 1970) of the next attempt; 0: now */
} weft_peer_state;

/**
 * The durable outbox state of the peer named `peer` (UTF-8, 1 to 256 bytes,
 * chosen by the application); all zeros for a peer never recorded.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL argument, a name of 0 or
 * over 256 bytes), or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_peer(weft_peer_state *out, const weft_log *log, const char *peer);

/**
 * Stores `state` for `peer` in one transaction and writes what was stored
 * to `stored` (may be NULL): the acked cursor never moves backward (a lower
 * one keeps the stored value). Sessions keep this state themselves; this is
 * for applications that reset a peer's retry state, or move their own.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL argument, bad name, an
 * acked cursor past the log's cursor), or a store error. @since 0.3
 */
WEFT_API int32_t weft_log_record_peer(weft_peer_state *stored, weft_log *log, const char *peer,
                                      const weft_peer_state *state);

/**
 * How long to wait (ms) before the next attempt for a peer in `state`, given
 * the wall clock now and the retry policy's base and maximum delays: never
 * longer than the policy's delay for the attempts made (a clock set back
 * does not starve the peer), 0 if due (a clock set forward fires once).
 * Infallible; NULL state gives 0. @since 0.3
 */
WEFT_API uint64_t weft_retry_wait_ms(const weft_peer_state *state, uint64_t now_wall_ms,
                                     uint64_t base_ms, uint64_t max_ms, uint64_t seed);

/* ---------------------------------------------------------- capabilities */

typedef enum weft_scope {
  WEFT_SCOPE_READ = 1,   /* pull the log's ops */
  WEFT_SCOPE_APPEND = 2, /* also push ops */
  WEFT_SCOPE_ADMIN = 3   /* everything append allows */
} weft_scope;

/**
 * Fills `secret` with 32 bytes from the operating system's CSPRNG.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL). @since 0.3
 */
WEFT_API int32_t weft_secret_new(uint8_t secret[32]);

/**
 * Issues a token for log `log_id` (UTF-8, 1 to 256 bytes) at `epoch` with
 * `scope` (a weft_scope), MACed with the log's 32-byte `secret`.
 * Returns WEFT_OK and *out (caller frees with weft_buf_free), or
 * WEFT_INVALID_ARGUMENT (NULL argument, bad log id, unknown scope). @since 0.3
 */
WEFT_API int32_t weft_token_issue(weft_buf *out, const uint8_t secret[32], const char *log_id,
                                  uint32_t epoch, uint32_t scope);

/* What a verified token grants. */
typedef struct weft_grant {
  uint32_t epoch;
  uint32_t scope; /* a weft_scope */
} weft_grant;

/**
 * Verifies `token` against the log's secret, id and current epoch, and that
 * its scope covers `required` (a weft_scope). Returns WEFT_OK and *out, or
 * WEFT_INVALID_ARGUMENT (NULL argument), WEFT_MALFORMED (not a token, or not
 * in canonical form: an unknown field), WEFT_PERMISSION_DENIED (another log,
 * a MAC that does not verify, an epoch never issued, a narrower scope), or
 * WEFT_STALE_EPOCH (revoked). Constant-time MAC comparison; the secret never
 * appears in an error message. Thread-safe. @since 0.3
 */
WEFT_API int32_t weft_token_verify(weft_grant *out, const uint8_t secret[32], const char *log_id,
                                   uint32_t current_epoch, const uint8_t *token, size_t token_len,
                                   uint32_t required);

/* ---------------------------------------------------------------- sessions */

/*
 * A sync session: a state machine over byte messages (docs/sync.md). The
 * application moves each message from weft_session_next_message to the
 * peer's weft_session_receive over any transport; weft owns no thread or
 * socket. One thread at a time. A session keeps its log alive.
 */
typedef struct weft_session weft_session;

typedef struct weft_session_options {
  uint32_t struct_size;       /* set by weft_session_options_init */
  uint32_t push;              /* send the peer what it lacks (default 1) */
  uint32_t accept;            /* apply what the peer sends (default 1) */
  uint32_t max_batch_ops;     /* ops per batch (default 4096; at least 1) */
  uint64_t max_batch_bytes;   /* payload bytes per batch (default 1 MiB; at least 1) */
  uint64_t max_chunks_bytes;  /* bytes per Chunks message (default 8 MiB; at least 1) */
  uint32_t window;            /* data messages in flight (default 8; at least 1) */
  uint32_t ship_chunks;       /* send sealed chunks to peers far behind (default 1) */
  const char *peer;           /* outbox name for durable state; NULL or "": none */
  const char *log_id;         /* initiator: the log a host should serve; NULL: none */
  const uint8_t *token;       /* initiator: the capability token; NULL: none */
  size_t token_len;
  uint64_t retry_base_ms;     /* first resend after (default 1000) */
  uint64_t retry_max_ms;      /* longest wait between resends (default 60000) */
  uint32_t retry_max_attempts; /* give up with WEFT_TIMEOUT after (default 8; 0 never) */
  uint32_t reserved;
  uint64_t retry_seed;        /* jitter seed (default 0) */
} weft_session_options;

/**
 * Fills the first `struct_size` bytes of `opts` with the defaults and sets
 * opts->struct_size (the convention of weft_log_options_init).
 * Returns WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_session_options_init(weft_session_options *opts, size_t struct_size);

/**
 * Starts the initiating side of a session over `log`: its Hello is the
 * first message. `opts` may be NULL (defaults: replica to replica, both
 * directions, no durable peer state). Strings and the token are copied.
 * Returns WEFT_OK and *out (weft_session_free), or WEFT_INVALID_ARGUMENT
 * (NULL log or out, bad options: a peer name over 256 bytes, a log id over
 * 256, a token over 4096, a zero bound). @since 0.3
 */
WEFT_API int32_t weft_session_connect(weft_session **out, weft_log *log,
                                      const weft_session_options *opts);

/**
 * Starts the responding side over `log`: it waits for the peer's Hello and
 * grants what opts->push and opts->accept say (no token is checked: for
 * replica to replica; a host checks tokens, see weft_host_accept).
 * Returns as weft_session_connect. @since 0.3
 */
WEFT_API int32_t weft_session_accept(weft_session **out, weft_log *log,
                                     const weft_session_options *opts);

/**
 * The next message to send, in *out (caller frees with weft_buf_free), and
 * *has_message = 1; or *has_message = 0 when there is nothing to send now
 * (the window is full, or everything sent awaits answers). A failed session
 * yields its Error message for the peer, then nothing.
 * Returns WEFT_OK or WEFT_INVALID_ARGUMENT (NULL argument). @since 0.3
 */
WEFT_API int32_t weft_session_next_message(weft_buf *out, uint32_t *has_message,
                                           weft_session *session);

/**
 * Handles one message from the peer. Returns WEFT_OK, or
 * WEFT_INVALID_ARGUMENT (NULL session, NULL bytes with len > 0), or the
 * code that failed the session (then weft_session_state says FAILED and
 * weft_last_error the reason): WEFT_MALFORMED (a message that is not one,
 * or out of place), WEFT_PERMISSION_DENIED / WEFT_STALE_EPOCH (a refused
 * or revoked capability), WEFT_CONFLICT (the peer holds another op under
 * one of our ids), a store error, or the code of the peer's Error message.
 * After the session is done it still answers batches (a peer whose ack was
 * lost). @since 0.3
 */
WEFT_API int32_t weft_session_receive(weft_session *session, const uint8_t *message, size_t len);

/**
 * Tells the session the time on the caller's monotonic clock (any origin,
 * never wall time). When an answer is overdue per the retry policy, the
 * unanswered messages are queued again, byte-identical, and the attempt is
 * recorded durably for the peer; past retry_max_attempts the session fails
 * with WEFT_TIMEOUT (returned). Call it when the transport is idle.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, or the failure. @since 0.3
 */
WEFT_API int32_t weft_session_tick(weft_session *session, uint64_t now_ms);

typedef enum weft_session_state {
  WEFT_SESSION_HANDSHAKE = 0, /* waiting for the peer's Hello */
  WEFT_SESSION_SYNCING = 1,
  WEFT_SESSION_DONE = 2,      /* both directions complete */
  WEFT_SESSION_FAILED = 3
} weft_session_state;

typedef struct weft_session_info {
  uint32_t state;        /* a weft_session_state */
  int32_t error_code;    /* WEFT_OK unless FAILED */
  uint64_t messages_sent;
  uint64_t bytes_sent;
  uint64_t messages_received;
  uint64_t bytes_received;
  uint64_t batches_sent;
  uint64_t chunks_sent;
  uint64_t ops_sent;        /* in batches and chunks */
  uint64_t resends;         /* data messages sent again, byte-identical */
  uint64_t stale_acks;      /* acks matching nothing in flight: ignored */
  uint64_t applied;         /* of the peer's ops, here */
  uint64_t duplicates;
  uint64_t rejected;
  uint64_t peer_applied;    /* of ours, at the peer */
  uint64_t peer_duplicates;
  uint64_t peer_rejected;
  uint64_t ops_to_send;     /* progress of what we send, counted at the handshake */
  uint64_t ops_acked;
  uint64_t acked_cursor;    /* the peer's durable acked cursor */
} weft_session_info;

/**
 * The session's state and counters. If FAILED, *error_message (may be
 * NULL) points at the reason, valid until the next call on this session.
 * Returns WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_session_get_info(weft_session_info *out, const char **error_message,
                                       const weft_session *session);

/** Releases `session`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_session_free(weft_session *session);

/* ------------------------------------------------------------------- hosts */

/*
 * A host of many logs: serves sessions whose Hello names a log and carries
 * a token, issues, redeems and revokes tokens. Each log's secret is
 * derived from the host's 32-byte master key and the log id. Internally
 * synchronized.
 */
typedef struct weft_host weft_host;

/**
 * A host whose logs live in memory (created on first use), or, if
 * `directory` is not NULL, in SQLite files `<directory>/<log_id>.db`
 * (created on first use; log ids of letters, digits, '.', '_' and '-', not
 * starting with '.', 1 to 128 bytes). `master_key` is copied.
 * Returns WEFT_OK and *out (weft_host_free), or WEFT_INVALID_ARGUMENT
 * (NULL key or out; a directory that does not exist). @since 0.3
 */
WEFT_API int32_t weft_host_new(weft_host **out, const uint8_t master_key[32],
                               const char *directory);

/** Releases `host` (its logs close when their sessions are released too). @since 0.3 */
WEFT_API void weft_host_free(weft_host *host);

/**
 * A token for `log_id` at its current epoch with `scope`, in *out (caller
 * frees). Returns WEFT_OK, WEFT_INVALID_ARGUMENT (NULL argument, bad log
 * id or scope), or a store error opening the log. @since 0.3
 */
WEFT_API int32_t weft_host_issue(weft_buf *out, weft_host *host, const char *log_id,
                                 uint32_t scope);

typedef struct weft_redeem_info {
  uint32_t epoch;
  uint32_t scope;      /* a weft_scope */
  uint64_t cursor;     /* the log's cursor now */
  uint64_t ops;        /* ops held */
  uint64_t actors;     /* writers known */
  weft_hash digest;    /* the log's digest now */
} weft_redeem_info;

/**
 * Verifies `token` for `log_id` (any scope) and describes the log.
 * Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT, WEFT_MALFORMED,
 * WEFT_PERMISSION_DENIED, WEFT_STALE_EPOCH (as weft_token_verify), or a
 * store error. @since 0.3
 */
WEFT_API int32_t weft_host_redeem(weft_redeem_info *out, weft_host *host, const char *log_id,
                                  const uint8_t *token, size_t token_len);

/**
 * Revokes every token of `log_id`: bumps its epoch, durably even across
 * power loss, before returning the new epoch in *new_epoch (may be NULL).
 * Batches in flight under the old epoch are then refused whole
 * (STALE_EPOCH) inside their apply transaction.
 * Returns WEFT_OK, WEFT_INVALID_ARGUMENT, WEFT_RESOURCE_EXHAUSTED (every
 * epoch used), or a store error (then the epoch did not move). @since 0.3
 */
WEFT_API int32_t weft_host_revoke(uint32_t *new_epoch, weft_host *host, const char *log_id);

/**
 * A responding session of `host`: the peer's Hello names the log and
 * carries a token; a read token lets the peer pull, append and admin let it
 * push too. A refused token fails the session (and the peer learns why in
 * an Error message). `opts` may be NULL; its push, accept, peer, log_id and
 * token are ignored. Returns as weft_session_connect; the session keeps
 * the host alive. @since 0.3
 */
WEFT_API int32_t weft_host_accept(weft_session **out, weft_host *host,
                                  const weft_session_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
