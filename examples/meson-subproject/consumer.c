/* Appends to a log through weft built as a Meson subproject. */
#include <stdio.h>

#include "weft/weft.h"

int main(void) {
  weft_log *log = NULL;
  uint64_t cursor = 0;
  if (weft_log_open_memory(&log, NULL) != WEFT_OK ||
      weft_log_append(NULL, log, (const uint8_t *)"hi", 2, 0) != WEFT_OK ||
      weft_log_cursor(&cursor, log) != WEFT_OK || cursor != 1) {
    fprintf(stderr, "weft: %s\n", weft_last_error()->message);
    weft_log_free(log);
    return 1;
  }
  printf("weft %s as a subproject: cursor %llu\n", weft_version_string(),
         (unsigned long long)cursor);
  weft_log_free(log);
  return 0;
}
