/*
 * Two replicas of one agent session: each appends on its own, then they
 * merge both ways through the wire format and end with equal digests.
 *
 *   cc two_replicas.c $(pkg-config --cflags --libs weft)
 */
#include <stdio.h>
#include <string.h>

#include "weft/weft.h"

static int check(int32_t status, const char *what) {
  if (status == WEFT_OK) return 0;
  fprintf(stderr, "%s: %s: %s\n", what, weft_status_name(status), weft_last_error()->message);
  return 1;
}

static int append(weft_log *log, const char *text) {
  return check(weft_log_append(NULL, log, (const uint8_t *)text, strlen(text), 1), "append");
}

/* Sends every op `from` has and `to` lacks, as encoded batches. */
static int sync_into(weft_log *to, weft_log *from) {
  weft_buf vv = {NULL, 0};
  weft_bufs *batches = NULL;
  uint32_t epoch = 0;
  size_t i;
  int failed = check(weft_log_version_vector(&vv, to), "version vector") ||
               check(weft_log_epoch(&epoch, to), "epoch") ||
               check(weft_log_diff(&batches, from, vv.data, vv.len, 0, epoch), "diff");
  for (i = 0; !failed && i < weft_bufs_count(batches); ++i) {
    const uint8_t *bytes = NULL;
    size_t len = 0;
    weft_ack *ack = NULL;
    failed = check(weft_bufs_at(&bytes, &len, batches, i), "batch") ||
             check(weft_log_apply(&ack, to, bytes, len), "apply");
    if (!failed) printf("  batch of %zu bytes: %zu applied\n", len, weft_ack_applied_count(ack));
    weft_ack_free(ack);
  }
  weft_bufs_free(batches);
  weft_buf_free(&vv);
  return failed;
}

static void print_digest(const char *name, const weft_hash *h) {
  int i;
  printf("%s digest ", name);
  for (i = 0; i < 8; ++i) printf("%02x", h->bytes[i]);
  printf("...\n");
}

int main(void) {
  weft_log *laptop = NULL, *server = NULL;
  weft_hash a, b;
  int failed;
  if (weft_version_number() != WEFT_VERSION_NUMBER) {
    fprintf(stderr, "header %d, library %u\n", WEFT_VERSION_NUMBER, weft_version_number());
    return 1;
  }
  failed = check(weft_log_open_memory(&laptop, NULL), "open laptop") ||
           check(weft_log_open_memory(&server, NULL), "open server") ||
           append(laptop, "{\"role\":\"user\",\"text\":\"plan the trip\"}") ||
           append(laptop, "{\"tool\":\"search\",\"query\":\"trains\"}") ||
           append(server, "{\"role\":\"assistant\",\"text\":\"on it\"}");
  if (!failed) {
    printf("laptop -> server\n");
    failed = sync_into(server, laptop);
  }
  if (!failed) {
    printf("server -> laptop\n");
    failed = sync_into(laptop, server);
  }
  failed = failed || check(weft_log_digest(&a, laptop), "digest") ||
           check(weft_log_digest(&b, server), "digest");
  if (!failed) {
    print_digest("laptop", &a);
    print_digest("server", &b);
    failed = memcmp(&a, &b, sizeof a) != 0;
    printf(failed ? "digests differ\n" : "digests are equal: both replicas hold the same ops\n");
  }
  weft_log_free(laptop);
  weft_log_free(server);
  return failed;
}
