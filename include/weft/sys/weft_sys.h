/*
 * weft/sys/weft_sys.h: weft's lower-stability C surface, for tools, tests
 * and storage adapters: the batch builder (crafting any batch, hostile ones
 * included), storage adapters as key-value callback tables, and the
 * storage conformance kit.
 *
 * Its promise is weaker than weft.h's (docs/c-api.md, "Stability"): a
 * minor release may change it, always with a CHANGELOG entry and a
 * `_v2` twin where a caller would otherwise break silently. Every
 * convention of weft.h holds here: outputs first, statuses, ownership,
 * versioned structs, thread-safety labels.
 */
#ifndef WEFT_SYS_WEFT_SYS_H
#define WEFT_SYS_WEFT_SYS_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ batch builder */

/* The fields of one op for the batch builder. Initialise with weft_op_fields_init. */
typedef struct weft_op_fields {
  uint32_t struct_size;
  uint32_t kind;
  weft_op_id id;
  uint64_t lamport;
  int64_t timestamp_ms;
  const weft_op_id *deps;
  size_t deps_len;
  const uint8_t *payload;
  size_t payload_len;
} weft_op_fields;

/**
 * Fills the first `struct_size` bytes of `fields` with zeros and sets
 * fields->struct_size. Pass sizeof(weft_op_fields) as your program sees it: a program
 * built against an older header passes its smaller size, and nothing past
 * it is written.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, a size below the
 * struct's first layout, or above this library's). @since 0.3
 */
WEFT_API int32_t weft_op_fields_init(weft_op_fields *fields, size_t struct_size);

/*
 * Builds an encoded batch from explicit op fields, without judging them:
 * tests and tools can craft any batch, hostile ones included; decoders and
 * apply judge. One thread at a time.
 */
typedef struct weft_batch_builder weft_batch_builder;

/** A new, empty builder. WEFT_OK and *out, or WEFT_INVALID_ARGUMENT. Caller owns *out. @since 0.3 */
WEFT_API int32_t weft_batch_builder_new(weft_batch_builder **out);

/**
 * Sets the batch's transport fields. `has_expected_cursor` nonzero makes
 * the batch a compare-and-append on `expected_cursor`.
 * WEFT_OK or WEFT_INVALID_ARGUMENT. @since 0.3
 */
WEFT_API int32_t weft_batch_builder_set_header(weft_batch_builder *builder, uint64_t batch_id,
                                               uint64_t seq, uint32_t has_expected_cursor,
                                               uint64_t expected_cursor, uint32_t epoch);

/**
 * Adds one op (copied). WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, bad
 * struct_size, NULL deps or payload with a nonzero length). @since 0.3
 */
WEFT_API int32_t weft_batch_builder_add_op(weft_batch_builder *builder,
                                           const weft_op_fields *fields);

/**
 * Encodes the batch. The builder can go on being used. WEFT_OK and *out,
 * or WEFT_INVALID_ARGUMENT. Caller owns *out. @since 0.3
 */
WEFT_API int32_t weft_batch_builder_finish(weft_buf *out, const weft_batch_builder *builder);

/** Releases `builder`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_batch_builder_free(weft_batch_builder *builder);

/* ------------------------------------------------- key-value store adapters */

/*
 * A storage adapter written in any language: an ordered key-value database
 * with write transactions, given as a table of callbacks. weft keeps a log
 * in it (key layout: docs/store-interface.md) and the conformance kit
 * checks it. Every callback returns WEFT_OK or a nonzero value, which stops
 * the operation and is returned unchanged to weft's caller; a callback
 * that fails describes why with weft_error_set (weft.h), and weft's caller
 * reads that message from weft_last_error. Callbacks must not unwind
 * (bindings catch their exceptions and panics first).
 */

/* Receives one row; a nonzero return stops a scan (and is not an error). */
typedef int32_t (*weft_kv_row_fn)(const uint8_t *key, size_t key_len, const uint8_t *value,
                                  size_t value_len, void *ctx);

typedef struct weft_kv_store {
  uint32_t struct_size; /* set by weft_kv_store_init */
  uint32_t concurrent;  /* nonzero: two connections may be used from two threads at once */
  void *user_data;      /* passed last to every callback */
  /* A new, empty database (the conformance kit makes one per scenario). */
  int32_t (*create)(void **db, void *user_data);
  void (*destroy)(void *db, void *user_data);
  /* A connection to `db`. Closing every connection and connecting again is a
     reopen: everything committed must be there. */
  int32_t (*connect)(void *db, void **conn, void *user_data);
  void (*disconnect)(void *conn, void *user_data);
  /* A write transaction: its writes become visible and durable together at
     commit, or vanish at rollback. */
  int32_t (*begin)(void *conn, void *user_data);
  int32_t (*commit)(void *conn, void *user_data);
  int32_t (*rollback)(void *conn, void *user_data);
  int32_t (*put)(void *conn, const uint8_t *key, size_t key_len, const uint8_t *value,
                 size_t value_len, void *user_data);
  /* Calls row once with the value of `key` if it exists, not at all otherwise. */
  int32_t (*get)(void *conn, const uint8_t *key, size_t key_len, weft_kv_row_fn row, void *ctx,
                 void *user_data);
  /* Calls row for every key in [from, to), in ascending byte order, at most
     `limit` times, stopping early when row returns nonzero. */
  int32_t (*scan)(void *conn, const uint8_t *from, size_t from_len, const uint8_t *to,
                  size_t to_len, uint64_t limit, weft_kv_row_fn row, void *ctx, void *user_data);
} weft_kv_store;

/**
 * Fills the first `struct_size` bytes of `store` with zeros (no callbacks) and sets
 * store->struct_size. Pass sizeof(weft_kv_store) as your program sees it: a program
 * built against an older header passes its smaller size, and nothing past
 * it is written.
 * Returns WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, a size below the
 * struct's first layout, or above this library's). @since 0.3
 */
WEFT_API int32_t weft_kv_store_init(weft_kv_store *store, size_t struct_size);

/**
 * Opens a log kept in database `db` of adapter `store` (the table is
 * copied; `db` must outlive the log and every iterator of it). The log
 * holds one connection. Only the connection callbacks are needed here;
 * create and destroy may be NULL.
 * Returns WEFT_OK and *out, WEFT_INVALID_ARGUMENT (NULL argument, missing
 * callback, short struct_size), or a callback's nonzero value, or
 * WEFT_CORRUPT if stored records do not parse. Caller owns *out.
 * @since 0.3
 */
WEFT_API int32_t weft_log_open_kv(weft_log **out, const weft_kv_store *store, void *db,
                                  const weft_log_options *opts);

/* The results of a conformance run. Immutable. */
typedef struct weft_conformance weft_conformance;

typedef enum weft_conformance_outcome {
  WEFT_CONFORMANCE_PASS = 0,
  WEFT_CONFORMANCE_FAIL = 1,
  WEFT_CONFORMANCE_SKIP = 2
} weft_conformance_outcome;

typedef struct weft_conformance_result {
  const char *scenario;   /* e.g. "atomicity_under_injected_failure" */
  int32_t outcome;        /* a weft_conformance_outcome */
  uint32_t reserved;
  const char *diagnostic; /* what failed and where, or why skipped; "" on pass */
} weft_conformance_result;

/**
 * Runs the storage conformance kit (docs/storage.md) against adapter
 * `store`, each scenario on a fresh database from store->create; `only`
 * (may be NULL) names a single scenario. A failing scenario is a result,
 * not a status. Returns WEFT_OK and *out, or WEFT_INVALID_ARGUMENT (NULL
 * argument, missing callback, unknown scenario name). Caller owns *out.
 * @since 0.3
 */
WEFT_API int32_t weft_conformance_run(weft_conformance **out, const weft_kv_store *store,
                                      const char *only);

/** The number of results (0 for NULL). @since 0.3 */
WEFT_API size_t weft_conformance_count(const weft_conformance *results);

/**
 * Result `index`; its strings stay valid until weft_conformance_free.
 * WEFT_OK, or WEFT_INVALID_ARGUMENT (NULL, out of range). @since 0.3
 */
WEFT_API int32_t weft_conformance_at(weft_conformance_result *out,
                                     const weft_conformance *results, size_t index);

/** Releases `results`; NULL is a no-op. @since 0.3 */
WEFT_API void weft_conformance_free(weft_conformance *results);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SYS_WEFT_SYS_H */
