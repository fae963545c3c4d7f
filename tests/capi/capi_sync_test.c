/*
 * The sync layer's C ABI from plain C99: outbox state, tokens, sessions and
 * hosts, with their error paths. Prints TAP; exits non-zero on a failure.
 * Run under AddressSanitizer (build/asan) and valgrind memcheck.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "weft/weft.h"

static weft_log *memory_log(uint8_t who) {
  weft_log_options o;
  weft_log *log = NULL;
  weft_log_options_init(&o, sizeof o);
  o.has_actor = 1;
  memset(o.actor.bytes, who, sizeof o.actor.bytes);
  if (weft_log_open_memory(&log, &o) != WEFT_OK) return NULL;
  return log;
}

static void append_n(weft_log *log, int n, const char *prefix) {
  char text[64];
  int i;
  for (i = 0; i < n; ++i) {
    weft_op_id id;
    snprintf(text, sizeof text, "%s-%d", prefix, i);
    if (weft_log_append(&id, log, (const uint8_t *)text, strlen(text), 0) != WEFT_OK) {
      CHECK(!"append failed");
    }
  }
}

/* Whether the responder's Hello went through (for pump's drop_back). */
static int g_hello_through = 0;

/* Moves messages both ways until neither side has one; returns how many.
   With drop_back, the responder's messages after its first are lost. */
static int pump(weft_session *a, weft_session *b, int drop_back) {
  int moved = 0, any = 1;
  while (any && moved < 100000) {
    int way;
    any = 0;
    for (way = 0; way < 2; ++way) {
      weft_session *from = way == 0 ? a : b, *to = way == 0 ? b : a;
      for (;;) {
        weft_buf m;
        uint32_t has = 0;
        if (weft_session_next_message(&m, &has, from) != WEFT_OK || !has) break;
        any = 1;
        if (way == 1 && drop_back && g_hello_through) {
          weft_buf_free(&m);
          continue;
        }
        if (way == 1) g_hello_through = 1;
        weft_session_receive(to, m.data, m.len);
        weft_buf_free(&m);
        ++moved;
      }
    }
  }
  return moved;
}

static uint32_t state_of(const weft_session *s) {
  weft_session_info info;
  if (weft_session_get_info(&info, NULL, s) != WEFT_OK) return 99;
  return info.state;
}

static void test_replicas(void) {
  weft_log *a = memory_log(1), *b = memory_log(2);
  weft_session *sa = NULL, *sb = NULL;
  weft_session_options o;
  weft_session_info info;
  uint64_t cb = 0;
  const char *why = "x";
  append_n(a, 20, "a");
  append_n(b, 7, "b");
  CHECK(weft_session_options_init(&o, sizeof o) == WEFT_OK);
  CHECK(o.push == 1 && o.accept == 1 && o.max_batch_ops == 4096 && o.window == 8);
  o.peer = "b";
  o.max_batch_ops = 3;
  CHECK(weft_session_connect(&sa, a, &o) == WEFT_OK);
  CHECK(weft_session_accept(&sb, b, NULL) == WEFT_OK);
  weft_log_free(a); /* the session keeps its log alive */
  pump(sa, sb, 0);
  CHECK(state_of(sa) == WEFT_SESSION_DONE);
  CHECK(state_of(sb) == WEFT_SESSION_DONE);
  CHECK(weft_session_get_info(&info, &why, sa) == WEFT_OK);
  CHECK(info.batches_sent == 7 && info.ops_sent == 20 && info.peer_applied == 20);
  CHECK(info.ops_to_send == 20 && info.ops_acked == 20 && info.acked_cursor == 20);
  CHECK(info.error_code == WEFT_OK && why != NULL && why[0] == '\0');
  CHECK(weft_log_cursor(&cb, b) == WEFT_OK && cb == 27);
  weft_session_free(sb);
  weft_session_free(sa); /* releases a */
  weft_log_free(b);
}

static void test_digests_and_peer_state(void) {
  weft_log *a = memory_log(3), *b = memory_log(4);
  weft_session *sa = NULL, *sb = NULL;
  weft_session_options o;
  weft_hash da, db;
  weft_peer_state p, stored;
  append_n(a, 5, "x");
  append_n(b, 5, "y");
  weft_session_options_init(&o, sizeof o);
  o.peer = "replica-b";
  CHECK(weft_session_connect(&sa, a, &o) == WEFT_OK);
  CHECK(weft_session_accept(&sb, b, NULL) == WEFT_OK);
  pump(sa, sb, 0);
  CHECK(weft_log_digest(&da, a) == WEFT_OK && weft_log_digest(&db, b) == WEFT_OK);
  CHECK(memcmp(da.bytes, db.bytes, 32) == 0);
  CHECK(weft_log_peer(&p, a, "replica-b") == WEFT_OK && p.acked_cursor == 5 && p.attempts == 0);
  CHECK(weft_log_peer(&p, a, "never") == WEFT_OK && p.acked_cursor == 0);
  p.acked_cursor = 2; /* a stale value never moves it back */
  p.attempts = 3;
  p.next_attempt_ms = 1000;
  CHECK(weft_log_record_peer(&stored, a, "replica-b", &p) == WEFT_OK);
  CHECK(stored.acked_cursor == 5 && stored.attempts == 3 && stored.next_attempt_ms == 1000);
  CHECK(weft_retry_wait_ms(&stored, 900, 100, 10000, 0) <= 100);
  CHECK(weft_retry_wait_ms(&stored, 5000, 100, 10000, 0) == 0);
  CHECK(weft_retry_wait_ms(NULL, 0, 1, 1, 0) == 0);
  p.acked_cursor = 999;
  CHECK(weft_log_record_peer(NULL, a, "replica-b", &p) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_peer(&p, a, "") == WEFT_INVALID_ARGUMENT);
  CHECK(weft_log_peer(&p, NULL, "x") == WEFT_INVALID_ARGUMENT);
  weft_session_free(sa);
  weft_session_free(sb);
  weft_log_free(a);
  weft_log_free(b);
}

static void test_lost_ack_and_timeout(void) {
  weft_log *a = memory_log(5), *b = memory_log(6);
  weft_session *sa = NULL, *sb = NULL;
  weft_session_options o;
  weft_session_info info;
  const char *why = NULL;
  uint64_t t;
  int32_t rc = WEFT_OK;
  append_n(a, 4, "z");
  weft_session_options_init(&o, sizeof o);
  o.retry_base_ms = 10;
  o.retry_max_ms = 10;
  o.retry_max_attempts = 2;
  CHECK(weft_session_connect(&sa, a, &o) == WEFT_OK);
  CHECK(weft_session_accept(&sb, b, NULL) == WEFT_OK);
  g_hello_through = 0;
  pump(sa, sb, 1); /* every answer after b's Hello is lost */
  CHECK(state_of(sa) == WEFT_SESSION_SYNCING);
  for (t = 0; t < 1000 && rc == WEFT_OK; t += 5) {
    rc = weft_session_tick(sa, t);
    pump(sa, sb, 1);
  }
  CHECK(rc == WEFT_TIMEOUT);
  CHECK(weft_session_get_info(&info, &why, sa) == WEFT_OK);
  CHECK(info.state == WEFT_SESSION_FAILED && info.error_code == WEFT_TIMEOUT);
  CHECK(info.resends >= 1);
  CHECK(why != NULL && strstr(why, "no answer") != NULL);
  CHECK(weft_session_receive(sa, (const uint8_t *)"junk", 4) == WEFT_TIMEOUT);
  weft_session_free(sa);
  weft_session_free(sb);
  weft_log_free(a);
  weft_log_free(b);
}

static void test_tokens(void) {
  uint8_t secret[32];
  weft_buf t = {NULL, 0};
  weft_grant g;
  CHECK(weft_secret_new(secret) == WEFT_OK);
  CHECK(weft_token_issue(&t, secret, "log-1", 4, WEFT_SCOPE_READ) == WEFT_OK && t.len > 0);
  CHECK(weft_token_verify(&g, secret, "log-1", 4, t.data, t.len, WEFT_SCOPE_READ) == WEFT_OK);
  CHECK(g.epoch == 4 && g.scope == WEFT_SCOPE_READ);
  CHECK(weft_token_verify(&g, secret, "log-1", 4, t.data, t.len, WEFT_SCOPE_APPEND) ==
        WEFT_PERMISSION_DENIED);
  CHECK(g.epoch == 0 && g.scope == 0);
  CHECK(weft_token_verify(&g, secret, "log-1", 5, t.data, t.len, WEFT_SCOPE_READ) ==
        WEFT_STALE_EPOCH);
  CHECK(weft_token_verify(&g, secret, "log-2", 4, t.data, t.len, WEFT_SCOPE_READ) ==
        WEFT_PERMISSION_DENIED);
  t.data[t.len - 3] ^= 1;
  CHECK(weft_token_verify(&g, secret, "log-1", 4, t.data, t.len, WEFT_SCOPE_READ) != WEFT_OK);
  CHECK(weft_token_verify(&g, secret, "log-1", 4, (const uint8_t *)"x", 1, WEFT_SCOPE_READ) ==
        WEFT_MALFORMED);
  weft_buf_free(&t);
  CHECK(weft_token_issue(&t, secret, "log-1", 0, 9) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_token_issue(&t, secret, "", 0, WEFT_SCOPE_READ) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_token_issue(&t, NULL, "x", 0, WEFT_SCOPE_READ) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_secret_new(NULL) == WEFT_INVALID_ARGUMENT);
}

static void test_host(void) {
  uint8_t master[32];
  weft_host *host = NULL;
  weft_buf read = {NULL, 0}, append = {NULL, 0};
  weft_redeem_info info;
  weft_log *client = memory_log(9);
  weft_session *c = NULL, *h = NULL;
  weft_session_options o;
  uint32_t epoch = 0;
  uint64_t cursor = 0;
  weft_session_info si;
  memset(master, 0x42, sizeof master);
  CHECK(weft_host_new(&host, master, NULL) == WEFT_OK);
  weft_host_free(host);
  CHECK(weft_host_new(&host, master, "/no/such/directory") == WEFT_INVALID_ARGUMENT);
  CHECK(host == NULL);
  CHECK(weft_host_new(&host, master, NULL) == WEFT_OK);
  CHECK(weft_host_issue(&read, host, "agent", WEFT_SCOPE_READ) == WEFT_OK);
  CHECK(weft_host_issue(&append, host, "agent", WEFT_SCOPE_APPEND) == WEFT_OK);
  CHECK(weft_host_redeem(&info, host, "agent", append.data, append.len) == WEFT_OK);
  CHECK(info.scope == WEFT_SCOPE_APPEND && info.epoch == 0 && info.cursor == 0);
  append_n(client, 3, "c");

  /* A read token pulls, never pushes. */
  weft_session_options_init(&o, sizeof o);
  o.log_id = "agent";
  o.token = read.data;
  o.token_len = read.len;
  CHECK(weft_session_connect(&c, client, &o) == WEFT_OK);
  CHECK(weft_host_accept(&h, host, NULL) == WEFT_OK);
  pump(c, h, 0);
  CHECK(state_of(c) == WEFT_SESSION_DONE);
  CHECK(weft_host_redeem(&info, host, "agent", read.data, read.len) == WEFT_OK && info.ops == 0);
  weft_session_free(c);
  weft_session_free(h);

  /* An append token pushes. */
  o.token = append.data;
  o.token_len = append.len;
  CHECK(weft_session_connect(&c, client, &o) == WEFT_OK);
  CHECK(weft_host_accept(&h, host, NULL) == WEFT_OK);
  pump(c, h, 0);
  CHECK(state_of(c) == WEFT_SESSION_DONE);
  CHECK(weft_host_redeem(&info, host, "agent", append.data, append.len) == WEFT_OK &&
        info.ops == 3 && info.cursor == 3 && info.actors == 1);
  weft_session_free(c);
  weft_session_free(h);

  /* Revoked: the old token fails at Hello. */
  CHECK(weft_host_revoke(&epoch, host, "agent") == WEFT_OK && epoch == 1);
  CHECK(weft_host_redeem(&info, host, "agent", append.data, append.len) == WEFT_STALE_EPOCH);
  CHECK(weft_session_connect(&c, client, &o) == WEFT_OK);
  CHECK(weft_host_accept(&h, host, NULL) == WEFT_OK);
  weft_host_free(host); /* sessions keep the host alive */
  pump(c, h, 0);
  CHECK(weft_session_get_info(&si, NULL, c) == WEFT_OK && si.state == WEFT_SESSION_FAILED &&
        si.error_code == WEFT_STALE_EPOCH);
  CHECK(weft_session_get_info(&si, NULL, h) == WEFT_OK && si.error_code == WEFT_STALE_EPOCH);
  weft_session_free(c);
  weft_session_free(h);
  CHECK(weft_log_cursor(&cursor, client) == WEFT_OK && cursor == 3);
  weft_buf_free(&read);
  weft_buf_free(&append);
  weft_log_free(client);
}

static void test_null_arguments(void) {
  weft_session *s = (weft_session *)0x1;
  weft_buf b;
  uint32_t has = 7;
  weft_session_options o;
  weft_log *log = memory_log(11);
  CHECK(weft_session_connect(&s, NULL, NULL) == WEFT_INVALID_ARGUMENT && s == NULL);
  CHECK(weft_session_next_message(&b, &has, NULL) == WEFT_INVALID_ARGUMENT && has == 0);
  CHECK(weft_session_receive(NULL, NULL, 0) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_session_tick(NULL, 0) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_session_get_info(NULL, NULL, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_session_options_init(&o, 3) == WEFT_INVALID_ARGUMENT);
  weft_session_options_init(&o, sizeof o);
  o.window = 0;
  CHECK(weft_session_connect(&s, log, &o) == WEFT_INVALID_ARGUMENT);
  o.window = 1;
  o.struct_size = sizeof o + 8;
  CHECK(weft_session_connect(&s, log, &o) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_host_accept(&s, NULL, NULL) == WEFT_INVALID_ARGUMENT);
  CHECK(weft_host_revoke(NULL, NULL, "x") == WEFT_INVALID_ARGUMENT);
  weft_session_free(NULL);
  weft_host_free(NULL);
  weft_log_free(log);
}

int main(void) {
  test_replicas();
  test_digests_and_peer_state();
  test_lost_ack_and_timeout();
  test_tokens();
  test_host();
  test_null_arguments();
  return tap_done();
}
