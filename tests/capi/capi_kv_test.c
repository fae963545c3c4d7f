/*
 * A storage adapter written in plain C against weft.h and weft/sys/weft_sys.h: an in-memory ordered
 * key-value database with transactions (a sorted array; a transaction
 * snapshots it). The conformance kit must pass against it, a log must live
 * in it across reconnects, and a deliberately broken adapter (rollback that
 * keeps the writes) must fail the atomicity scenario. Prints TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "weft/weft.h"
#include "weft/sys/weft_sys.h"


typedef struct entry {
  uint8_t *key;
  size_t key_len;
  uint8_t *value;
  size_t value_len;
} entry;

typedef struct table {
  entry *rows;
  size_t len, cap;
} table;

typedef struct db {
  table committed;
  table saved; /* the snapshot taken at begin */
  int in_txn;
  int broken_rollback;
} db;

static void table_clear(table *t) {
  size_t i;
  for (i = 0; i < t->len; ++i) {
    free(t->rows[i].key);
    free(t->rows[i].value);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
  uint8_t *d = malloc(n ? n : 1);
  if (d && n) memcpy(d, p, n);
  return d;
}

static int table_copy(table *to, const table *from) {
  size_t i;
  memset(to, 0, sizeof *to);
  to->rows = calloc(from->len ? from->len : 1, sizeof(entry));
  if (!to->rows) return 1;
  to->cap = from->len ? from->len : 1;
  for (i = 0; i < from->len; ++i) {
    to->rows[i].key = dup_bytes(from->rows[i].key, from->rows[i].key_len);
    to->rows[i].key_len = from->rows[i].key_len;
    to->rows[i].value = dup_bytes(from->rows[i].value, from->rows[i].value_len);
    to->rows[i].value_len = from->rows[i].value_len;
    to->len = i + 1;
  }
  return 0;
}

static int compare(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c) return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/* The first row whose key is >= key. */
static size_t lower_bound(const table *t, const uint8_t *key, size_t n) {
  size_t lo = 0, hi = t->len;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (compare(t->rows[mid].key, t->rows[mid].key_len, key, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int32_t kv_create(void **out, void *user) {
  db *d = calloc(1, sizeof(db));
  if (!d) return WEFT_RESOURCE_EXHAUSTED;
  d->broken_rollback = user != NULL;
  *out = d;
  return WEFT_OK;
}
static void kv_destroy(void *p, void *user) {
  db *d = p;
  (void)user;
  table_clear(&d->committed);
  table_clear(&d->saved);
  free(d);
}
/* A connection is the database itself: one process, one thread. */
static int32_t kv_connect(void *p, void **conn, void *user) {
  (void)user;
  *conn = p;
  return WEFT_OK;
}
static void kv_disconnect(void *conn, void *user) {
  (void)conn;
  (void)user;
}
static int32_t kv_begin(void *p, void *user) {
  db *d = p;
  (void)user;
  if (d->in_txn) return WEFT_BUSY;
  if (table_copy(&d->saved, &d->committed)) return WEFT_RESOURCE_EXHAUSTED;
  d->in_txn = 1;
  return WEFT_OK;
}
static int32_t kv_commit(void *p, void *user) {
  db *d = p;
  (void)user;
  if (!d->in_txn) return WEFT_INVALID_ARGUMENT;
  table_clear(&d->saved);
  d->in_txn = 0;
  return WEFT_OK;
}
static int32_t kv_rollback(void *p, void *user) {
  db *d = p;
  (void)user;
  if (!d->in_txn) return WEFT_OK;
  if (d->broken_rollback) {
    table_clear(&d->saved); /* the defect: writes of an aborted transaction stay */
  } else {
    table_clear(&d->committed);
    d->committed = d->saved;
    memset(&d->saved, 0, sizeof d->saved);
  }
  d->in_txn = 0;
  return WEFT_OK;
}
static int32_t kv_put(void *p, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
                      void *user) {
  db *d = p;
  table *t = &d->committed;
  size_t at = lower_bound(t, k, kn);
  (void)user;
  if (!d->in_txn) return WEFT_INVALID_ARGUMENT;
  if (at < t->len && compare(t->rows[at].key, t->rows[at].key_len, k, kn) == 0) {
    free(t->rows[at].value);
    t->rows[at].value = dup_bytes(v, vn);
    t->rows[at].value_len = vn;
    return WEFT_OK;
  }
  if (t->len == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 16;
    entry *rows = realloc(t->rows, cap * sizeof(entry));
    if (!rows) return WEFT_RESOURCE_EXHAUSTED;
    t->rows = rows;
    t->cap = cap;
  }
  memmove(&t->rows[at + 1], &t->rows[at], (t->len - at) * sizeof(entry));
  t->rows[at].key = dup_bytes(k, kn);
  t->rows[at].key_len = kn;
  t->rows[at].value = dup_bytes(v, vn);
  t->rows[at].value_len = vn;
  ++t->len;
  return WEFT_OK;
}
static int32_t kv_get(void *p, const uint8_t *k, size_t kn, weft_kv_row_fn row, void *ctx,
                      void *user) {
  db *d = p;
  table *t = &d->committed;
  size_t at = lower_bound(t, k, kn);
  (void)user;
  if (at < t->len && compare(t->rows[at].key, t->rows[at].key_len, k, kn) == 0) {
    row(t->rows[at].key, t->rows[at].key_len, t->rows[at].value, t->rows[at].value_len, ctx);
  }
  return WEFT_OK;
}
static int32_t kv_scan(void *p, const uint8_t *from, size_t fn, const uint8_t *to, size_t tn,
                       uint64_t limit, weft_kv_row_fn row, void *ctx, void *user) {
  db *d = p;
  table *t = &d->committed;
  size_t at = lower_bound(t, from, fn);
  uint64_t n = 0;
  (void)user;
  for (; at < t->len && n < limit; ++at, ++n) {
    if (compare(t->rows[at].key, t->rows[at].key_len, to, tn) >= 0) break;
    if (row(t->rows[at].key, t->rows[at].key_len, t->rows[at].value, t->rows[at].value_len,
            ctx)) {
      break;
    }
  }
  return WEFT_OK;
}

static weft_kv_store adapter(int broken) {
  weft_kv_store s;
  weft_kv_store_init(&s, sizeof s);
  s.user_data = broken ? (void *)1 : NULL;
  s.create = kv_create;
  s.destroy = kv_destroy;
  s.connect = kv_connect;
  s.disconnect = kv_disconnect;
  s.begin = kv_begin;
  s.commit = kv_commit;
  s.rollback = kv_rollback;
  s.put = kv_put;
  s.get = kv_get;
  s.scan = kv_scan;
  return s;
}

static void test_conformance_passes(void) {
  weft_kv_store s = adapter(0);
  weft_conformance *results = NULL;
  weft_conformance_result r;
  size_t i, passed = 0;
  CHECK(weft_conformance_run(&results, &s, NULL) == WEFT_OK);
  CHECK(weft_conformance_count(results) == 6);
  for (i = 0; i < weft_conformance_count(results); ++i) {
    CHECK(weft_conformance_at(&r, results, i) == WEFT_OK);
    if (r.outcome != WEFT_CONFORMANCE_PASS) printf("# %s: %s\n", r.scenario, r.diagnostic);
    passed += r.outcome == WEFT_CONFORMANCE_PASS;
  }
  CHECK(passed == 6);
  CHECK(weft_conformance_at(&r, results, 6) == WEFT_INVALID_ARGUMENT);
  weft_conformance_free(results);
}

static void test_broken_adapter_fails(void) {
  weft_kv_store s = adapter(1);
  weft_conformance *results = NULL;
  weft_conformance_result r;
  CHECK(weft_conformance_run(&results, &s, "atomicity_under_injected_failure") == WEFT_OK);
  CHECK(weft_conformance_count(results) == 1);
  CHECK(weft_conformance_at(&r, results, 0) == WEFT_OK);
  CHECK(r.outcome == WEFT_CONFORMANCE_FAIL && strlen(r.diagnostic) > 0);
  printf("# broken adapter: %s\n", r.diagnostic);
  weft_conformance_free(results);
}

static void test_bad_tables(void) {
  weft_kv_store s = adapter(0);
  weft_conformance *results = NULL;
  weft_log *log = NULL;
  CHECK(weft_conformance_run(&results, &s, "no_such_scenario") == WEFT_INVALID_ARGUMENT);
  CHECK(results == NULL);
  s.scan = NULL;
  CHECK(weft_conformance_run(&results, &s, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_open_kv(&log, &s, NULL, NULL) == WEFT_INVALID_ARGUMENT && log == NULL);
  CHECK(weft_conformance_run(&results, NULL, NULL) == WEFT_INVALID_ARGUMENT);
  weft_conformance_free(NULL);
  CHECK(weft_conformance_count(NULL) == 0);
}

static void test_log_lives_in_the_adapter(void) {
  weft_kv_store s = adapter(0);
  void *d = NULL;
  weft_log *log = NULL;
  weft_hash before, after;
  uint64_t cursor = 0;
  CHECK(kv_create(&d, NULL) == WEFT_OK);
  CHECK(weft_log_open_kv(&log, &s, d, NULL) == WEFT_OK);
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"kept", 4, 0) == WEFT_OK);
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"here", 4, 0) == WEFT_OK);
  CHECK(weft_log_digest(&before, log) == WEFT_OK);
  weft_log_free(log);
  CHECK(weft_log_open_kv(&log, &s, d, NULL) == WEFT_OK);
  CHECK(weft_log_cursor(&cursor, log) == WEFT_OK && cursor == 2);
  CHECK(weft_log_digest(&after, log) == WEFT_OK && memcmp(&before, &after, sizeof before) == 0);
  CHECK(weft_log_verify(NULL, NULL, log) == WEFT_OK);
  weft_log_free(log);
  kv_destroy(d, NULL);
}

/* How the failing put below describes itself: 0 says nothing, 1 describes
   the code it returns, 2 describes another code than it returns, 3 leaves a
   message and then succeeds. */
static int put_failure;

static int32_t failing_put(void *p, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
                           void *user) {
  switch (put_failure) {
    case 1: return weft_error_set(WEFT_IO_ERROR, "disk full at block 7\nretry later");
    case 2:
      weft_error_set(WEFT_BUSY, "not this one");
      return WEFT_IO_ERROR;
    case 3: weft_error_set(WEFT_IO_ERROR, "stale message"); break;
    default: return WEFT_IO_ERROR;
  }
  return kv_put(p, k, kn, v, vn, user);
}

/* A callback's own message reaches the caller, in one line; a message for
   another code, or one left before a success, does not. */
static void test_callback_errors_carry_their_message(void) {
  weft_kv_store s = adapter(0);
  void *d = NULL;
  weft_log *log = NULL;
  s.put = failing_put;
  CHECK(kv_create(&d, NULL) == WEFT_OK);
  put_failure = 3;
  CHECK(weft_log_open_kv(&log, &s, d, NULL) == WEFT_OK);
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"x", 1, 0) == WEFT_OK);
  put_failure = 0;
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"x", 1, 0) == WEFT_IO_ERROR);
  CHECK(strstr(weft_last_error()->message, "stale message") == NULL);
  CHECK(strstr(weft_last_error()->message, "put returned 16") != NULL);
  put_failure = 1;
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"x", 1, 0) == WEFT_IO_ERROR);
  CHECK(weft_last_error()->code == WEFT_IO_ERROR);
  CHECK(strstr(weft_last_error()->message, "kv adapter: put: disk full at block 7; retry later") !=
        NULL);
  CHECK(strchr(weft_last_error()->message, '\n') == NULL);
  put_failure = 2;
  CHECK(weft_log_append(NULL, log, (const uint8_t *)"x", 1, 0) == WEFT_IO_ERROR);
  CHECK(strstr(weft_last_error()->message, "not this one") == NULL);
  CHECK(weft_error_set(WEFT_CONFLICT, NULL) == WEFT_CONFLICT);
  weft_log_free(log);
  kv_destroy(d, NULL);
}

int main(void) {
  test_conformance_passes();
  test_broken_adapter_fails();
  test_bad_tables();
  test_log_lives_in_the_adapter();
  test_callback_errors_carry_their_message();
  return tap_done();
}
