/* A minimal TAP reporter for the plain C tests of the C ABI. */
#ifndef WEFT_TESTS_CAPI_TAP_H
#define WEFT_TESTS_CAPI_TAP_H

#include <stdio.h>

#include "weft/weft.h"

static int g_test = 0;
static int g_failed = 0;

/* One TAP line per check; a failure also prints the last weft error. */
#define CHECK(cond)                                                                     \
  do {                                                                                  \
    ++g_test;                                                                           \
    if (cond) {                                                                         \
      printf("ok %d - %s\n", g_test, #cond);                                            \
    } else {                                                                            \
      ++g_failed;                                                                       \
      printf("not ok %d - %s (line %d; last error %s: %s)\n", g_test, #cond, __LINE__, \
             weft_status_name(weft_last_error()->code), weft_last_error()->message);   \
    }                                                                                   \
  } while (0)

/* Prints the plan; the process exit status. */
static int tap_done(void) {
  printf("1..%d\n", g_test);
  return g_failed == 0 ? 0 : 1;
}

#endif
