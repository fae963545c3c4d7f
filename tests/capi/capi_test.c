/*
 * The C ABI from plain C99, against weft.h and weft/sys/weft_sys.h only: every function, its
 * outputs, and its error paths. Prints TAP; exits non-zero on a failure.
 * Run under AddressSanitizer (build/asan) and valgrind memcheck.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "weft/weft.h"
#include "weft/sys/weft_sys.h"


static weft_actor actor_of(uint8_t n) {
  weft_actor a;
  memset(a.bytes, n, sizeof a.bytes);
  return a;
}

static weft_log *memory_log(uint8_t who) {
  weft_log_options o;
  weft_log *log = NULL;
  weft_log_options_init(&o, sizeof o);
  o.has_actor = 1;
  o.actor = actor_of(who);
  if (weft_log_open_memory(&log, &o) != WEFT_OK) return NULL;
  return log;
}

static void append_text(weft_log *log, const char *text) {
  weft_op_id id;
  CHECK(weft_log_append(&id, log, (const uint8_t *)text, strlen(text), 1) == WEFT_OK);
}

static void test_versions_and_status(void) {
  CHECK(weft_version_number() == WEFT_VERSION_NUMBER);
  CHECK(strcmp(weft_version_string(), "0.3.0") == 0);
  CHECK(WEFT_VERSION_CHECK(0, 3, 0) && !WEFT_VERSION_CHECK(0, 3, 1) && WEFT_VERSION_CHECK(0, 2, 9));
  CHECK(strcmp(weft_status_name(WEFT_OK), "OK") == 0);
  CHECK(strcmp(weft_status_name(WEFT_STALE_EPOCH), "STALE_EPOCH") == 0);
  CHECK(strcmp(weft_status_name(-1), "UNKNOWN") == 0);
  CHECK(strcmp(weft_status_name(999), "UNKNOWN") == 0);
  CHECK(weft_status_retryable(WEFT_BUSY) == 1);
  CHECK(weft_status_retryable(WEFT_CONFLICT) == 0);
  CHECK(weft_last_error() != NULL);
  CHECK(weft_last_error()->message != NULL);
}

static void test_null_and_garbage_arguments(void) {
  weft_log *log = NULL;
  uint64_t cursor = 7;
  weft_log_options small;
  weft_buf buf = {NULL, 0};
  weft_iter *it = (weft_iter *)0x1;
  weft_ack *ack = (weft_ack *)0x1;
  CHECK(weft_log_open_memory(NULL, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_open_sqlite(&log, NULL, NULL, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(log == NULL);
  weft_log_options_init(&small, sizeof small);
  small.struct_size = 4;
  CHECK(weft_log_open_memory(&log, &small) == WEFT_INVALID_ARGUMENT);
  CHECK(log == NULL);
  CHECK(strstr(weft_last_error()->message, "struct_size") != NULL);
  /* A struct from a newer weft (larger) is refused rather than half-obeyed. */
  weft_log_options_init(&small, sizeof small);
  small.struct_size = sizeof small + 8;
  CHECK(weft_log_open_memory(&log, &small) == WEFT_INVALID_ARGUMENT && log == NULL);
  CHECK(strstr(weft_last_error()->message, "newer") != NULL);
  /* The struct's first layout (0.3: up to max_message_bytes) is accepted;
     one byte less is not. */
  weft_log_options_init(&small, sizeof small);
  small.struct_size = (uint32_t)(offsetof(weft_log_options, max_message_bytes) + sizeof(uint64_t));
  CHECK(weft_log_open_memory(&log, &small) == WEFT_OK);
  weft_log_free(log);
  log = NULL;
  small.struct_size -= 1;
  CHECK(weft_log_open_memory(&log, &small) == WEFT_INVALID_ARGUMENT && log == NULL);
  CHECK(weft_log_cursor(&cursor, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(cursor == 0);
  CHECK(weft_log_append(NULL, NULL, NULL, 0, 0) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_last_error()->code == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_read(&it, NULL, 1, 10) == WEFT_INVALID_ARGUMENT);
  CHECK(it == NULL);
  CHECK(weft_log_apply(&ack, NULL, NULL, 0) == WEFT_INVALID_ARGUMENT);
  CHECK(ack == NULL);
  CHECK(weft_log_version_vector(&buf, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(buf.data == NULL && buf.len == 0);
  /* A handle of the wrong type is refused, not misused. */
  log = memory_log(1);
  CHECK(weft_iter_next(NULL, NULL, (weft_iter *)log) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_ack_get_info(NULL, (const weft_ack *)log) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_ack_applied_count((const weft_ack *)log) == 0);
  CHECK(weft_log_append(NULL, log, NULL, 5, 0) == WEFT_INVALID_ARGUMENT);
  /* Frees accept NULL. */
  weft_log_free(NULL);
  weft_iter_free(NULL);
  weft_ack_free(NULL);
  weft_op_free(NULL);
  weft_bufs_free(NULL);
  weft_batch_free(NULL);
  weft_chunk_free(NULL);
  weft_batch_builder_free(NULL);
  weft_buf_free(NULL);
  weft_buf_free(&buf);
  CHECK(weft_log_options_init(NULL, sizeof(weft_log_options)) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_append_request_init(NULL, sizeof(weft_append_request)) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_op_fields_init(NULL, sizeof(weft_op_fields)) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_sqlite_options_init(NULL, sizeof(weft_sqlite_options)) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_bufs_count(NULL) == 0);
  CHECK(weft_ack_applied_count(NULL) == 0 && weft_ack_duplicate_count(NULL) == 0 &&
        weft_ack_rejected_count(NULL) == 0 && weft_batch_op_count(NULL) == 0 &&
        weft_chunk_op_count(NULL) == 0);
  /* A successful call resets the last error. */
  CHECK(weft_log_cursor(&cursor, log) == WEFT_OK);
  CHECK(weft_last_error()->code == WEFT_OK && weft_last_error()->message_len == 0);
  weft_log_free(log);
}

/* _init writes exactly the size it is given, never past it. */
static void test_init_respects_the_callers_size(void) {
  unsigned char buf[sizeof(weft_log_options) + 16];
  size_t i;
  int intact = 1;
  memset(buf, 0xAA, sizeof buf);
  CHECK(weft_log_options_init((weft_log_options *)(void *)buf, sizeof(weft_log_options) + 8) ==
        WEFT_INVALID_ARGUMENT);
  for (i = 0; i < sizeof buf; ++i) intact = intact && buf[i] == 0xAA;
  CHECK(intact);
  CHECK(weft_log_options_init((weft_log_options *)(void *)buf, 8) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_options_init((weft_log_options *)(void *)buf, sizeof(weft_log_options)) ==
        WEFT_OK);
  for (i = sizeof(weft_log_options); i < sizeof buf; ++i) intact = intact && buf[i] == 0xAA;
  CHECK(intact);
  CHECK(((weft_log_options *)(void *)buf)->struct_size == sizeof(weft_log_options));
  CHECK(((weft_log_options *)(void *)buf)->auto_seal_ops == UINT64_MAX);
  {
    weft_sqlite_options so;
    CHECK(weft_sqlite_options_init(&so, sizeof so) == WEFT_OK);
    CHECK(so.create == 1 && so.busy_timeout_ms == 5000 && so.special_names == 0 &&
          so.log_name == NULL);
  }
}

static void test_append_read_get(void) {
  weft_log *log = memory_log(1);
  weft_iter *it = NULL;
  weft_op_view v;
  uint32_t has = 0;
  uint64_t cursor = 0, n = 0;
  weft_op_id id, missing;
  weft_op *op = NULL;
  weft_actor me;
  weft_op_id heads[4];
  size_t len = 0;
  CHECK(log != NULL);
  CHECK(weft_log_actor(&me, log) == WEFT_OK && memcmp(me.bytes, actor_of(1).bytes, 16) == 0);
  append_text(log, "hello");
  append_text(log, "world");
  CHECK(weft_log_cursor(&cursor, log) == WEFT_OK && cursor == 2);
  CHECK(weft_log_read(&it, log, 1, UINT64_MAX) == WEFT_OK);
  while (weft_iter_next(&v, &has, it) == WEFT_OK && has) {
    ++n;
    CHECK(v.cursor == n && v.id.counter == n && v.lamport == n && v.kind == 1);
    CHECK(v.payload_len == 5 && v.deps_len == 0);
  }
  CHECK(n == 2 && has == 0);
  /* The iterator keeps the log alive: free the log first. */
  weft_log_free(log);
  weft_iter_free(it);

  log = memory_log(2);
  append_text(log, "x");
  id.actor = actor_of(2);
  id.counter = 1;
  CHECK(weft_log_get(&op, log, &id) == WEFT_OK);
  CHECK(weft_op_get_view(&v, op) == WEFT_OK && v.payload_len == 1 && v.payload[0] == 'x');
  weft_op_free(op);
  missing = id;
  missing.counter = 9;
  op = (weft_op *)0x1;
  CHECK(weft_log_get(&op, log, &missing) == WEFT_NOT_FOUND && op == NULL);
  CHECK(strstr(weft_last_error()->message, "is not here") != NULL);
  CHECK(weft_log_heads(NULL, 0, &len, log) == WEFT_OK && len == 1);
  CHECK(weft_log_heads(heads, 4, &len, log) == WEFT_OK && heads[0].counter == 1);
  CHECK(weft_log_heads(NULL, 3, &len, log) == WEFT_INVALID_ARGUMENT);
  weft_log_free(log);
}

/* A log decodes what it is sent under its own limits, not the defaults. */
static void test_apply_uses_the_logs_limits(void) {
  weft_log *a = memory_log(13), *strict = NULL;
  weft_log_options o;
  weft_bufs *batches = NULL;
  const uint8_t *data = NULL;
  size_t len = 0;
  weft_ack *ack = NULL;
  weft_log_options_init(&o, sizeof o);
  o.max_message_bytes = 128;
  CHECK(weft_log_open_memory(&strict, &o) == WEFT_OK);
  append_text(a, "a payload long enough to make the batch exceed 128 bytes........");
  CHECK(weft_log_diff(&batches, a, NULL, 0, 0, 0) == WEFT_OK);
  CHECK(weft_bufs_at(&data, &len, batches, 0) == WEFT_OK && len > 128);
  CHECK(weft_log_apply(&ack, strict, data, len) == WEFT_MALFORMED && ack == NULL);
  CHECK(strstr(weft_last_error()->message, "over the limit") != NULL);
  weft_bufs_free(batches);
  weft_log_free(strict);
  weft_log_free(a);
}

static void test_append_many_and_dependencies(void) {
  weft_log *log = memory_log(3);
  weft_append_request reqs[3];
  weft_op_id ids[3], bad_dep;
  int i;
  for (i = 0; i < 3; ++i) {
    weft_append_request_init(&reqs[i], sizeof reqs[i]);
    reqs[i].payload = (const uint8_t *)"abc";
    reqs[i].payload_len = 3;
    reqs[i].has_timestamp = 1;
    reqs[i].timestamp_ms = 1000 + i;
  }
  CHECK(weft_log_append_many(ids, log, reqs, 3) == WEFT_OK);
  CHECK(ids[2].counter == 3);
  bad_dep.actor = actor_of(99);
  bad_dep.counter = 1;
  reqs[0].has_deps = 1;
  reqs[0].deps = &bad_dep;
  reqs[0].deps_len = 1;
  CHECK(weft_log_append_many(ids, log, reqs, 3) == WEFT_MISSING_DEPENDENCY);
  CHECK(ids[0].counter == 0);
  reqs[0].struct_size = 8;
  CHECK(weft_log_append_many(NULL, log, reqs, 1) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_append_many(NULL, log, NULL, 1) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_append_many(NULL, log, NULL, 0) == WEFT_OK);
  weft_log_free(log);
}

static void test_apply_ack_and_retry(void) {
  weft_log *a = memory_log(4), *b = memory_log(5);
  weft_buf vv = {NULL, 0}, ack_bytes = {NULL, 0};
  weft_bufs *batches = NULL;
  const uint8_t *data = NULL;
  size_t len = 0;
  weft_ack *ack = NULL, *again = NULL, *decoded = NULL;
  weft_ack_info info;
  weft_op_id id;
  int32_t code = 0;
  append_text(a, "one");
  append_text(a, "two");
  CHECK(weft_log_version_vector(&vv, b) == WEFT_OK && vv.len > 0);
  CHECK(weft_log_diff(&batches, a, vv.data, vv.len, 0, 0) == WEFT_OK);
  CHECK(weft_bufs_count(batches) == 1);
  CHECK(weft_bufs_at(&data, &len, batches, 0) == WEFT_OK && len > 0);
  CHECK(weft_bufs_at(&data, &len, batches, 1) == WEFT_INVALID_ARGUMENT && data == NULL);
  CHECK(weft_bufs_at(&data, &len, batches, 0) == WEFT_OK);
  CHECK(weft_log_apply(&ack, b, data, len) == WEFT_OK);
  CHECK(weft_ack_get_info(&info, ack) == WEFT_OK);
  CHECK(info.status == WEFT_OK && info.cursor == 2);
  CHECK(weft_ack_applied_count(ack) == 2 && weft_ack_duplicate_count(ack) == 0);
  CHECK(weft_ack_applied_at(&id, ack, 1) == WEFT_OK && id.counter == 2);
  CHECK(weft_ack_applied_at(&id, ack, 2) == WEFT_INVALID_ARGUMENT);
  /* The ack was lost: the identical retry answers duplicates (S01). */
  CHECK(weft_log_apply(&again, b, data, len) == WEFT_OK);
  CHECK(weft_ack_applied_count(again) == 0 && weft_ack_duplicate_count(again) == 2);
  CHECK(weft_ack_duplicate_at(&id, again, 0) == WEFT_OK && id.counter == 1);
  CHECK(weft_ack_rejected_at(&id, &code, again, 0) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_ack_encode(&ack_bytes, again) == WEFT_OK && ack_bytes.len > 0);
  CHECK(weft_ack_decode(&decoded, ack_bytes.data, ack_bytes.len) == WEFT_OK);
  CHECK(weft_ack_duplicate_count(decoded) == 2);
  weft_ack_free(ack);
  CHECK(weft_ack_decode(&ack, ack_bytes.data, 3) == WEFT_MALFORMED && ack == NULL);
  CHECK(weft_log_apply(&ack, b, (const uint8_t *)"garbage", 7) == WEFT_MALFORMED && ack == NULL);
  CHECK(strstr(weft_last_error()->message, "identifier") != NULL);
  {
    weft_bufs *none = NULL;
    CHECK(weft_log_diff(&none, a, (const uint8_t *)"xx", 2, 0, 0) == WEFT_MALFORMED && none == NULL);
  }
  /* A receiver at epoch 2 accepts a diff stamped with its epoch. */
  {
    weft_log *c = memory_log(12);
    weft_bufs *stamped = NULL;
    weft_ack *got = NULL;
    CHECK(weft_log_set_epoch(c, 2) == WEFT_OK);
    CHECK(weft_log_diff(&stamped, a, NULL, 0, 0, 2) == WEFT_OK);
    CHECK(weft_bufs_at(&data, &len, stamped, 0) == WEFT_OK);
    CHECK(weft_log_apply(&got, c, data, len) == WEFT_OK);
    CHECK(weft_ack_get_info(&info, got) == WEFT_OK && info.status == WEFT_OK);
    CHECK(weft_ack_applied_count(got) == 2);
    weft_ack_free(got);
    weft_bufs_free(stamped);
    weft_log_free(c);
  }
  weft_buf_free(&ack_bytes);
  weft_buf_free(&vv);
  CHECK(vv.data == NULL && vv.len == 0);
  weft_ack_free(decoded);
  weft_ack_free(again);
  weft_bufs_free(batches);
  weft_log_free(a);
  weft_log_free(b);
}

static void test_crafted_batches(void) {
  weft_log *log = memory_log(6);
  weft_batch_builder *bld = NULL;
  weft_op_fields f;
  weft_buf bytes = {NULL, 0};
  weft_batch *batch = NULL;
  weft_batch_info info;
  weft_op_view v;
  weft_ack *ack = NULL;
  weft_ack_info ai;
  weft_op_id id;
  int32_t code = 0;
  CHECK(weft_batch_builder_new(&bld) == WEFT_OK);
  CHECK(weft_batch_builder_set_header(bld, 9, 2, 1, 0, 0) == WEFT_OK);
  weft_op_fields_init(&f, sizeof f);
  f.id.actor = actor_of(7);
  f.id.counter = 1;
  f.lamport = 1;
  f.payload = (const uint8_t *)"p";
  f.payload_len = 1;
  CHECK(weft_batch_builder_add_op(bld, &f) == WEFT_OK);
  f.id.counter = 2;
  f.lamport = 5; /* wrong: must be 2 */
  CHECK(weft_batch_builder_add_op(bld, &f) == WEFT_OK);
  f.struct_size = 0;
  CHECK(weft_batch_builder_add_op(bld, &f) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_batch_builder_finish(&bytes, bld) == WEFT_OK);
  CHECK(weft_batch_decode(&batch, bytes.data, bytes.len) == WEFT_OK);
  CHECK(weft_batch_get_info(&info, batch) == WEFT_OK);
  CHECK(info.batch_id == 9 && info.seq == 2 && info.has_expected_cursor == 1);
  CHECK(weft_batch_op_count(batch) == 2);
  CHECK(weft_batch_op_at(&v, batch, 1) == WEFT_OK && v.lamport == 5 && v.id.counter == 2);
  CHECK(weft_batch_op_at(&v, batch, 2) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_apply(&ack, log, bytes.data, bytes.len) == WEFT_OK);
  CHECK(weft_ack_applied_count(ack) == 1 && weft_ack_rejected_count(ack) == 1);
  CHECK(weft_ack_rejected_at(&id, &code, ack, 0) == WEFT_OK && code == WEFT_MALFORMED);
  weft_ack_free(ack);
  /* The same batch again: the cursor moved, so compare-and-append fails. */
  CHECK(weft_log_apply(&ack, log, bytes.data, bytes.len) == WEFT_OK);
  CHECK(weft_ack_duplicate_count(ack) == 1 && weft_ack_rejected_count(ack) == 1);
  CHECK(weft_ack_rejected_at(&id, &code, ack, 0) == WEFT_OK && code == WEFT_CURSOR_MISMATCH);
  weft_ack_free(ack);
  /* Epochs: a stale batch is refused whole. */
  CHECK(weft_log_set_epoch(log, 3) == WEFT_OK);
  CHECK(weft_log_set_epoch(log, 2) == WEFT_INVALID_ARGUMENT);
  {
    uint32_t epoch = 0;
    CHECK(weft_log_epoch(&epoch, log) == WEFT_OK && epoch == 3);
  }
  CHECK(weft_log_apply(&ack, log, bytes.data, bytes.len) == WEFT_OK);
  CHECK(weft_ack_get_info(&ai, ack) == WEFT_OK && ai.status == WEFT_STALE_EPOCH);
  CHECK(weft_ack_applied_count(ack) == 0);
  weft_ack_free(ack);
  weft_batch_free(batch);
  batch = NULL;
  CHECK(weft_batch_decode(&batch, bytes.data, bytes.len - 10) != WEFT_OK || batch != NULL);
  weft_batch_free(batch);
  weft_buf_free(&bytes);
  weft_batch_builder_free(bld);
  weft_log_free(log);
}

static void test_chunks_and_verify(void) {
  weft_log *a = memory_log(8), *b = memory_log(9);
  weft_actor who = actor_of(8);
  weft_seal seal, again, checked;
  weft_hash wrong;
  weft_buf bytes = {NULL, 0};
  weft_chunk *chunk = NULL;
  weft_seal chunk_seal;
  weft_op_view v;
  uint64_t ops = 0, chunks = 0;
  int i;
  for (i = 0; i < 5; ++i) append_text(a, "chunked");
  memset(&wrong, 1, sizeof wrong);
  CHECK(weft_log_seal(&seal, a, &who, 5, &wrong) == WEFT_CHECKSUM_MISMATCH);
  CHECK(weft_log_seal(&seal, a, &who, 6, NULL) == WEFT_NOT_FOUND);
  CHECK(weft_log_seal(&seal, a, &who, 5, NULL) == WEFT_OK && seal.first == 1 && seal.last == 5);
  CHECK(weft_log_seal(&again, a, &who, 5, &seal.digest) == WEFT_OK && again.index == 0);
  CHECK(weft_log_chunk_get(&bytes, a, &who, 1) == WEFT_NOT_FOUND && bytes.data == NULL);
  CHECK(weft_log_chunk_get(&bytes, a, &who, 0) == WEFT_OK && bytes.len > 0);
  CHECK(weft_chunk_verify(&checked, bytes.data, bytes.len, &seal) == WEFT_OK);
  CHECK(memcmp(&checked, &seal, sizeof seal) == 0);
  again = seal;
  again.index = 3;
  CHECK(weft_chunk_verify(NULL, bytes.data, bytes.len, &again) == WEFT_CHECKSUM_MISMATCH);
  CHECK(weft_chunk_decode(&chunk, bytes.data, bytes.len) == WEFT_OK);
  CHECK(weft_chunk_op_count(chunk) == 5);
  CHECK(weft_chunk_get_seal(&chunk_seal, chunk) == WEFT_OK);
  CHECK(memcmp(&chunk_seal, &seal, sizeof seal) == 0);
  CHECK(weft_chunk_op_at(&v, chunk, 4) == WEFT_OK && v.id.counter == 5);
  CHECK(weft_chunk_op_at(&v, chunk, 5) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_chunk_put(&again, b, bytes.data, bytes.len, &seal.digest) == WEFT_OK);
  CHECK(weft_log_chunk_put(NULL, b, bytes.data, bytes.len, NULL) == WEFT_OK);
  bytes.data[bytes.len / 2] ^= 1;
  CHECK(weft_chunk_verify(NULL, bytes.data, bytes.len, NULL) != WEFT_OK);
  CHECK(weft_log_chunk_put(NULL, b, bytes.data, bytes.len, NULL) != WEFT_OK);
  CHECK(weft_log_verify(&ops, &chunks, b) == WEFT_OK && ops == 5 && chunks == 1);
  weft_chunk_free(chunk);
  weft_buf_free(&bytes);
  weft_log_free(a);
  weft_log_free(b);
}

static void test_merge_digest_and_order(void) {
  weft_log *a = memory_log(10), *b = memory_log(11);
  weft_hash da, db;
  uint64_t applied = 0;
  weft_op_id order_a[8], order_b[8];
  size_t na = 0, nb = 0;
  append_text(a, "a1");
  append_text(b, "b1");
  append_text(b, "b2");
  CHECK(weft_log_merge(&applied, a, b) == WEFT_OK && applied == 2);
  CHECK(weft_log_merge(&applied, b, a) == WEFT_OK && applied == 1);
  CHECK(weft_log_digest(&da, a) == WEFT_OK && weft_log_digest(&db, b) == WEFT_OK);
  CHECK(memcmp(&da, &db, sizeof da) == 0);
  CHECK(weft_log_canonical_order(order_a, 8, &na, a) == WEFT_OK && na == 3);
  CHECK(weft_log_canonical_order(order_b, 8, &nb, b) == WEFT_OK && nb == 3);
  CHECK(memcmp(order_a, order_b, sizeof(weft_op_id) * 3) == 0);
  CHECK(weft_log_merge(NULL, a, NULL) == WEFT_INVALID_ARGUMENT);
  weft_log_free(a);
  weft_log_free(b);
}

static void remove_db(const char *path) {
  const char *suffixes[] = {"", "-wal", "-shm", "-weft"};
  size_t i;
  for (i = 0; i < sizeof suffixes / sizeof *suffixes; ++i) {
    char p[96];
    snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
    remove(p);
  }
}

static void test_sqlite(void) {
  char path[64];
  weft_log *log = NULL;
  weft_sqlite_options o;
  uint64_t cursor = 0;
  weft_actor first, copy;
  FILE *f;
  snprintf(path, sizeof path, "/tmp/weft-capi-%d.db", (int)getpid());
  remove_db(path);
  weft_sqlite_options_init(&o, sizeof o);
  o.create = 0;
  CHECK(weft_log_open_sqlite(&log, path, NULL, &o) == WEFT_NOT_FOUND && log == NULL);
  o.create = 1;
  CHECK(weft_log_open_sqlite(&log, path, NULL, &o) == WEFT_OK);
  append_text(log, "durable");
  CHECK(weft_log_actor(&first, log) == WEFT_OK);
  weft_log_free(log);
  CHECK(weft_log_open_sqlite(&log, path, NULL, NULL) == WEFT_OK);
  CHECK(weft_log_cursor(&cursor, log) == WEFT_OK && cursor == 1);
  CHECK(weft_log_actor(&copy, log) == WEFT_OK && memcmp(&copy, &first, sizeof copy) == 0);
  weft_log_free(log);
  /* Without its writer fence beside it, the file reads as a copy: a new writer. */
  {
    char fence[96];
    snprintf(fence, sizeof fence, "%s-weft", path);
    CHECK(remove(fence) == 0);
  }
  CHECK(weft_log_open_sqlite(&log, path, NULL, NULL) == WEFT_OK);
  CHECK(weft_log_actor(&copy, log) == WEFT_OK && memcmp(&copy, &first, sizeof copy) != 0);
  weft_log_free(log);
  /* An empty path is not SQLite's temporary database; special names need asking. */
  CHECK(weft_log_open_sqlite(&log, "", NULL, NULL) == WEFT_INVALID_ARGUMENT && log == NULL);
  CHECK(weft_log_open_sqlite(&log, ":memory:", NULL, NULL) == WEFT_INVALID_ARGUMENT);
  o.special_names = 1;
  CHECK(weft_log_open_sqlite(&log, ":memory:", NULL, &o) == WEFT_OK);
  weft_log_free(log);
  log = NULL;
  remove_db(path);
  f = fopen(path, "wb");
  if (f) {
    int i;
    for (i = 0; i < 4096; ++i) fputc('Z', f);
    fclose(f);
  }
  CHECK(weft_log_open_sqlite(&log, path, NULL, NULL) == WEFT_CORRUPT && log == NULL);
  CHECK(strstr(weft_last_error()->message, path) != NULL);
  remove(path);
}

int main(void) {
  test_versions_and_status();
  test_null_and_garbage_arguments();
  test_init_respects_the_callers_size();
  test_append_read_get();
  test_append_many_and_dependencies();
  test_apply_uses_the_logs_limits();
  test_apply_ack_and_retry();
  test_crafted_batches();
  test_chunks_and_verify();
  test_merge_digest_and_order();
  test_sqlite();
  return tap_done();
}
