/*
 * weft_node.c: the N-API addon over weft's C ABI (include/weft/weft.h, and
 * include/weft/sys/weft_sys.h for the batch builder, key-value store
 * adapters and the conformance kit).
 *
 * The addon is deliberately thin: it converts between JS values and the
 * C types, owns C handles through napi_wrap'd objects, and runs the long
 * calls on libuv's thread pool. index.js turns these functions into the
 * public classes (Log, BatchBuilder, ...).
 *
 * Ownership: every C handle lives in a Box, wrapped into one JS object.
 * A Box is released when its object is garbage-collected (finalizer) or
 * closed explicitly, but never while async work uses it: close() during
 * async work only marks it closed, and the last work item frees it.
 *
 * State: all mutable state is per instance (napi_set_instance_data), so
 * the addon loads in worker_threads and in several environments at once.
 */
#include <node_api.h>

#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <weft/weft.h>
#include <weft/sys/weft_sys.h> /* batch builder, key-value adapters, conformance kit */

/* Written against the 0.3 ABI (outputs first, _count/_at lists, weft_sqlite_options). */
#ifndef WEFT_VERSION_CHECK
#error "weft.h is older than 0.3: this addon needs the weft 0.3 C ABI"
#elif !WEFT_VERSION_CHECK(0, 3, 0)
#error "weft.h is older than 0.3: this addon needs the weft 0.3 C ABI"
#endif

/* The versioned structs' _init functions take the size this addon was compiled with. */
#define WEFT_INIT(fn, p) fn((p), sizeof *(p))

/* ------------------------------------------------------------- instance */

enum Kind { KIND_LOG = 0, KIND_ITER, KIND_ACK, KIND_BUILDER, KIND_SESSION, KIND_HOST, KIND_COUNT };

static const char *const kKindNames[KIND_COUNT] = {"log", "iterator", "ack", "batch builder", "session", "host"};

/* Tags let the addon refuse an object of the wrong kind (immutable data). */
static const napi_type_tag kTags[KIND_COUNT] = {
    {0x7765667421000001ULL, 0x9d3c1a52e07f4b11ULL},
    {0x7765667421000002ULL, 0x9d3c1a52e07f4b11ULL},
    {0x7765667421000003ULL, 0x9d3c1a52e07f4b11ULL},
    {0x7765667421000004ULL, 0x9d3c1a52e07f4b11ULL},
    {0x7765667421000005ULL, 0x9d3c1a52e07f4b11ULL},
    {0x7765667421000006ULL, 0x9d3c1a52e07f4b11ULL},
};

typedef struct Addon {
  napi_ref error_ctor;    /* WeftError, registered by index.js */
  napi_ref kv_error;      /* the first exception a JS store adapter threw during the current call */
  int64_t live[KIND_COUNT]; /* C handles not yet released (debug counter) */
  uint32_t refs;          /* the environment + every Box and Work using it */
} Addon;

static void addon_unref(Addon *a) {
  if (--a->refs == 0) free(a);
}

typedef struct Kv Kv;
static void kv_unref(Kv *kv);

/* A C handle owned by JS. Only touched on the JS thread, except `ptr`,
 * which async work reads on a pool thread while `pending` keeps it. */
typedef struct Box {
  enum Kind kind;
  Addon *addon;
  void *ptr;
  uint32_t pending; /* async work items using ptr */
  bool closed;      /* close() was called: refuse new calls */
  bool wrapped;     /* the JS object is alive */
  Kv *kv;           /* a log kept by a JS store adapter (and its iterators and sessions) */
} Box;

static void free_handle(enum Kind kind, void *ptr) {
  switch (kind) {
    case KIND_LOG: weft_log_free((weft_log *)ptr); break;
    case KIND_ITER: weft_iter_free((weft_iter *)ptr); break;
    case KIND_ACK: weft_ack_free((weft_ack *)ptr); break;
    case KIND_BUILDER: weft_batch_builder_free((weft_batch_builder *)ptr); break;
    case KIND_SESSION: weft_session_free((weft_session *)ptr); break;
    case KIND_HOST: weft_host_free((weft_host *)ptr); break;
    case KIND_COUNT: break;
  }
}

static void box_release_handle(Box *b) {
  if (b->ptr == NULL) return;
  free_handle(b->kind, b->ptr);
  b->ptr = NULL;
  b->addon->live[b->kind]--;
  /* After the free: closing the C log may still call the adapter. */
  if (b->kv != NULL) kv_unref(b->kv);
  b->kv = NULL;
}

/* Frees what nobody can use any more. */
static void box_settle(Box *b) {
  if ((b->closed || !b->wrapped) && b->pending == 0) box_release_handle(b);
  if (!b->wrapped && b->pending == 0) {
    addon_unref(b->addon);
    free(b);
  }
}

static void box_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Box *b = (Box *)data;
  b->wrapped = false;
  box_settle(b);
}

static void cleanup_call(napi_status st, const char *what) {
  /* Nothing can be thrown from a finalizer or completion callback. */
  if (st != napi_ok) fprintf(stderr, "weft addon: %s failed (napi status %d)\n", what, (int)st);
}

static void addon_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  Addon *a = (Addon *)data;
  if (a->error_ctor != NULL) cleanup_call(napi_delete_reference(env, a->error_ctor), "delete WeftError reference");
  if (a->kv_error != NULL) cleanup_call(napi_delete_reference(env, a->kv_error), "delete adapter error reference");
  a->error_ctor = NULL;
  a->kv_error = NULL;
  addon_unref(a);
}

/* ------------------------------------------------------------- errors */

/* A malloc'd copy of `len` bytes of `s` and a NUL (C11 has no strdup). */
static char *copy_text(const char *s, size_t len) {
  char *p = (char *)malloc(len + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

static bool check(napi_env env, napi_status st, const char *what) {
  if (st == napi_ok) return true;
  /* The error info is only valid until the next N-API call: copy it first. */
  char detail[160] = "unknown";
  const napi_extended_error_info *info = NULL;
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL) {
    snprintf(detail, sizeof detail, "%s", info->error_message);
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return false;
  char msg[400];
  snprintf(msg, sizeof msg, "N-API call failed: %s: %s", what, detail);
  napi_status thrown = napi_throw_error(env, "ERR_WEFT_NAPI", msg);
  /* pending_exception: one is already on its way (a terminating worker). */
  if (thrown != napi_pending_exception) cleanup_call(thrown, "napi_throw_error");
  return false;
}

#define CALL(env, call)                                  \
  do {                                                   \
    if (!check((env), (call), #call)) return NULL;       \
  } while (0)
#define TRY(env, call)                                   \
  do {                                                   \
    if (!check((env), (call), #call)) return false;      \
  } while (0)
#define TRYG(env, call)                                  \
  do {                                                   \
    if (!check((env), (call), #call)) goto fail;         \
  } while (0)

static Addon *addon_of(napi_env env) {
  void *data = NULL;
  if (!check(env, napi_get_instance_data(env, &data), "napi_get_instance_data")) return NULL;
  return (Addon *)data;
}

static bool throw_type(napi_env env, const char *message) {
  check(env, napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message), "napi_throw_type_error");
  return false;
}

static bool throw_range(napi_env env, const char *message) {
  check(env, napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message), "napi_throw_range_error");
  return false;
}

/* A WeftError(message, code name, status, retryable), or a plain Error
 * with .code if index.js has not registered the class. NULL on failure
 * (an exception is then pending). */
static napi_value new_weft_error(napi_env env, int32_t status, const char *message) {
  const char *name = weft_status_name(status);
  if (message == NULL || message[0] == '\0') message = name;
  napi_value argv[4], err = NULL, ctor = NULL;
  CALL(env, napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &argv[0]));
  CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &argv[1]));
  CALL(env, napi_create_int32(env, status, &argv[2]));
  CALL(env, napi_get_boolean(env, weft_status_retryable(status) != 0, &argv[3]));
  Addon *a = addon_of(env);
  if (a == NULL) return NULL;
  if (a->error_ctor != NULL) CALL(env, napi_get_reference_value(env, a->error_ctor, &ctor));
  if (ctor != NULL) {
    CALL(env, napi_new_instance(env, ctor, 4, argv, &err));
  } else {
    CALL(env, napi_create_error(env, argv[1], argv[0], &err));
    CALL(env, napi_set_named_property(env, err, "status", argv[2]));
    CALL(env, napi_set_named_property(env, err, "retryable", argv[3]));
  }
  if (a->kv_error != NULL) {
    /* A JS store adapter threw during this call: that is the cause. */
    napi_value cause;
    napi_ref ref = a->kv_error;
    a->kv_error = NULL;
    CALL(env, napi_get_reference_value(env, ref, &cause));
    CALL(env, napi_delete_reference(env, ref));
    if (cause != NULL) CALL(env, napi_set_named_property(env, err, "cause", cause));
  }
  return err;
}

static bool throw_weft(napi_env env, int32_t status, const char *message) {
  napi_value err = new_weft_error(env, status, message);
  if (err != NULL) check(env, napi_throw(env, err), "napi_throw");
  return false;
}

/* Throws the calling thread's weft_last_error(), read before anything
 * else can reset it. */
static bool throw_last(napi_env env, int32_t status) {
  const weft_error *e = weft_last_error();
  char *message = copy_text(e->message, e->message_len);
  if (message == NULL) return throw_weft(env, status, "out of memory copying the error message");
  throw_weft(env, status, message);
  free(message);
  return false;
}

/* ------------------------------------------------------------- boxes */

/* Wraps `ptr` into a new object. Ownership of `ptr` and of one reference
 * to `kv` (may be NULL) passes in, also on failure. */
static napi_value wrap_handle(napi_env env, enum Kind kind, void *ptr, napi_value obj, Kv *kv) {
  Addon *a = addon_of(env);
  Box *b = a != NULL ? (Box *)calloc(1, sizeof *b) : NULL;
  if (b == NULL) {
    free_handle(kind, ptr);
    if (kv != NULL) kv_unref(kv);
    if (a != NULL) throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  b->kind = kind;
  b->addon = a;
  b->ptr = ptr;
  b->kv = kv;
  a->refs++;
  a->live[kind]++;
  if (obj == NULL) TRYG(env, napi_create_object(env, &obj));
  TRYG(env, napi_type_tag_object(env, obj, &kTags[kind]));
  TRYG(env, napi_wrap(env, obj, b, box_finalize, NULL, NULL));
  b->wrapped = true;
  return obj;
fail:
  box_settle(b); /* not wrapped: releases the handle and the box */
  return NULL;
}

static bool clear_kv_error(napi_env env) {
  Addon *a = addon_of(env);
  if (a == NULL) return false;
  if (a->kv_error != NULL) {
    napi_ref ref = a->kv_error;
    a->kv_error = NULL;
    TRY(env, napi_delete_reference(env, ref));
  }
  return true;
}

static Box *get_box(napi_env env, napi_value v, enum Kind kind, bool require_open) {
  napi_valuetype t;
  char msg[96];
  if (!check(env, napi_typeof(env, v, &t), "napi_typeof")) return NULL;
  bool ok = false;
  if (t == napi_object && !check(env, napi_check_object_type_tag(env, v, &kTags[kind], &ok), "napi_check_object_type_tag")) {
    return NULL;
  }
  if (!ok) {
    snprintf(msg, sizeof msg, "expected a weft %s handle", kKindNames[kind]);
    throw_type(env, msg);
    return NULL;
  }
  void *data = NULL;
  if (!check(env, napi_unwrap(env, v, &data), "napi_unwrap")) return NULL;
  Box *b = (Box *)data;
  if (require_open && (b->closed || b->ptr == NULL)) {
    snprintf(msg, sizeof msg, "the %s is closed", kKindNames[kind]);
    throw_weft(env, WEFT_INVALID_ARGUMENT, msg);
    return NULL;
  }
  return b;
}

/* ------------------------------------------------------------- values */

static const double kMaxSafe = 9007199254740991.0; /* 2^53 - 1 */

static bool is_nullish(napi_env env, napi_value v, bool *out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  *out = t == napi_undefined || t == napi_null;
  return true;
}

/* Reads obj[name]; *present is false when it is undefined or null. */
static bool get_prop(napi_env env, napi_value obj, const char *name, napi_value *out, bool *present) {
  TRY(env, napi_get_named_property(env, obj, name, out));
  bool nullish;
  if (!is_nullish(env, *out, &nullish)) return false;
  *present = !nullish;
  return true;
}

static bool set_prop(napi_env env, napi_value obj, const char *name, napi_value v) {
  TRY(env, napi_set_named_property(env, obj, name, v));
  return true;
}

static bool get_u64(napi_env env, napi_value v, const char *name, bool allow_infinity, uint64_t *out) {
  char msg[128];
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t == napi_bigint) {
    bool lossless = false;
    TRY(env, napi_get_value_bigint_uint64(env, v, out, &lossless));
    if (!lossless) {
      snprintf(msg, sizeof msg, "%s must be an unsigned 64-bit integer", name);
      return throw_range(env, msg);
    }
    return true;
  }
  if (t == napi_number) {
    double d;
    TRY(env, napi_get_value_double(env, v, &d));
    if (allow_infinity && isinf(d) && d > 0) {
      *out = UINT64_MAX;
      return true;
    }
    if (!(d >= 0) || d >= 18446744073709551616.0 || (double)(uint64_t)d != d) {
      snprintf(msg, sizeof msg, "%s must be a non-negative integer", name);
      return throw_range(env, msg);
    }
    *out = (uint64_t)d;
    return true;
  }
  snprintf(msg, sizeof msg, "%s must be a number or a bigint", name);
  return throw_type(env, msg);
}

static bool get_i64(napi_env env, napi_value v, const char *name, int64_t *out) {
  char msg[128];
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t == napi_bigint) {
    bool lossless = false;
    TRY(env, napi_get_value_bigint_int64(env, v, out, &lossless));
    if (!lossless) {
      snprintf(msg, sizeof msg, "%s must be a signed 64-bit integer", name);
      return throw_range(env, msg);
    }
    return true;
  }
  if (t == napi_number) {
    double d;
    TRY(env, napi_get_value_double(env, v, &d));
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || (double)(int64_t)d != d) {
      snprintf(msg, sizeof msg, "%s must be an integer", name);
      return throw_range(env, msg);
    }
    *out = (int64_t)d;
    return true;
  }
  snprintf(msg, sizeof msg, "%s must be a number or a bigint", name);
  return throw_type(env, msg);
}

static bool get_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  uint64_t x;
  if (!get_u64(env, v, name, false, &x)) return false;
  if (x > UINT32_MAX) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must fit in 32 bits", name);
    return throw_range(env, msg);
  }
  *out = (uint32_t)x;
  return true;
}

static bool get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_boolean) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a boolean", name);
    return throw_type(env, msg);
  }
  TRY(env, napi_get_value_bool(env, v, out));
  return true;
}

/* A malloc'd UTF-8 copy of a JS string. */
static bool get_string(napi_env env, napi_value v, const char *name, char **out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_string) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", name);
    return throw_type(env, msg);
  }
  size_t len = 0;
  TRY(env, napi_get_value_string_utf8(env, v, NULL, 0, &len));
  char *s = (char *)malloc(len + 1);
  if (s == NULL) return throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
  if (!check(env, napi_get_value_string_utf8(env, v, s, len + 1, &len), "napi_get_value_string_utf8")) {
    free(s);
    return false;
  }
  *out = s;
  return true;
}

static napi_value make_u64(napi_env env, uint64_t v) {
  napi_value out;
  if (v <= (uint64_t)kMaxSafe) {
    CALL(env, napi_create_double(env, (double)v, &out));
  } else {
    CALL(env, napi_create_bigint_uint64(env, v, &out));
  }
  return out;
}

static napi_value make_i64(napi_env env, int64_t v) {
  napi_value out;
  if (v <= (int64_t)kMaxSafe && v >= -(int64_t)kMaxSafe) {
    CALL(env, napi_create_double(env, (double)v, &out));
  } else {
    CALL(env, napi_create_bigint_int64(env, v, &out));
  }
  return out;
}

static napi_value make_u32(napi_env env, uint32_t v) {
  napi_value out;
  CALL(env, napi_create_uint32(env, v, &out));
  return out;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value out;
  CALL(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value make_buffer(napi_env env, const uint8_t *data, size_t len) {
  napi_value out;
  void *p = NULL;
  if (len == 0) {
    CALL(env, napi_create_buffer(env, 0, &p, &out));
  } else {
    CALL(env, napi_create_buffer_copy(env, len, data, &p, &out));
  }
  return out;
}

static bool set_u64(napi_env env, napi_value obj, const char *name, uint64_t v) {
  napi_value x = make_u64(env, v);
  return x != NULL && set_prop(env, obj, name, x);
}

/* Bytes borrowed from a JS value, or owned (a string's UTF-8 copy). */
typedef struct Bytes {
  const uint8_t *data;
  size_t len;
  uint8_t *owned;
} Bytes;

static void bytes_free(Bytes *b) {
  free(b->owned);
  b->owned = NULL;
  b->data = NULL;
  b->len = 0;
}

static size_t typedarray_element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array: return 8;
  }
  return 1;
}

static bool is_bytes(napi_env env, napi_value v, bool allow_string, bool *out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  bool yes = allow_string && t == napi_string;
  if (!yes && t == napi_object) {
    TRY(env, napi_is_typedarray(env, v, &yes));
    if (!yes) TRY(env, napi_is_dataview(env, v, &yes));
    if (!yes) TRY(env, napi_is_arraybuffer(env, v, &yes));
  }
  *out = yes;
  return true;
}

/* Buffer, any TypedArray (its bytes), DataView, ArrayBuffer, or (if
 * allow_string) a string taken as UTF-8. */
static bool get_bytes(napi_env env, napi_value v, const char *name, bool allow_string, Bytes *out) {
  memset(out, 0, sizeof *out);
  char msg[160];
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t == napi_string && allow_string) {
    char *s = NULL;
    if (!get_string(env, v, name, &s)) return false;
    out->owned = (uint8_t *)s;
    out->data = out->owned;
    out->len = strlen(s);
    return true;
  }
  if (t == napi_object) {
    bool yes = false;
    TRY(env, napi_is_typedarray(env, v, &yes));
    if (yes) {
      napi_typedarray_type type;
      size_t length = 0, offset = 0;
      void *data = NULL;
      TRY(env, napi_get_typedarray_info(env, v, &type, &length, &data, NULL, &offset));
      out->data = (const uint8_t *)data;
      out->len = length * typedarray_element_size(type);
      return true;
    }
    TRY(env, napi_is_dataview(env, v, &yes));
    if (yes) {
      size_t length = 0, offset = 0;
      void *data = NULL;
      TRY(env, napi_get_dataview_info(env, v, &length, &data, NULL, &offset));
      out->data = (const uint8_t *)data;
      out->len = length;
      return true;
    }
    TRY(env, napi_is_arraybuffer(env, v, &yes));
    if (yes) {
      size_t length = 0;
      void *data = NULL;
      TRY(env, napi_get_arraybuffer_info(env, v, &data, &length));
      out->data = (const uint8_t *)data;
      out->len = length;
      return true;
    }
  }
  snprintf(msg, sizeof msg, "%s must be a Buffer, Uint8Array%s", name,
           allow_string ? ", ArrayBuffer or string" : " or ArrayBuffer");
  return throw_type(env, msg);
}

/* Makes borrowed bytes owned, for use after the call returns. */
static bool bytes_own(napi_env env, Bytes *b) {
  if (b->owned != NULL || b->len == 0) return true;
  uint8_t *p = (uint8_t *)malloc(b->len);
  if (p == NULL) return throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
  memcpy(p, b->data, b->len);
  b->owned = p;
  b->data = p;
  return true;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A fixed-size byte string: `size` bytes, or a hex string of 2*size chars. */
static bool get_fixed(napi_env env, napi_value v, const char *name, uint8_t *out, size_t size) {
  char msg[160];
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t == napi_string) {
    char buf[80];
    size_t len = 0;
    TRY(env, napi_get_value_string_utf8(env, v, buf, sizeof buf, &len));
    bool ok = len == 2 * size;
    for (size_t i = 0; ok && i < size; ++i) {
      int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);
      if (hi < 0 || lo < 0) ok = false;
      else out[i] = (uint8_t)(hi * 16 + lo);
    }
    if (ok) return true;
  } else {
    bool yes = false;
    if (!is_bytes(env, v, false, &yes)) return false;
    if (yes) {
      Bytes b;
      if (!get_bytes(env, v, name, false, &b)) return false;
      if (b.len == size) {
        memcpy(out, b.data, size);
        return true;
      }
    }
  }
  snprintf(msg, sizeof msg, "%s must be %zu bytes or a %zu-character hex string", name, size, 2 * size);
  return throw_type(env, msg);
}

static bool get_actor(napi_env env, napi_value v, const char *name, weft_actor *out) {
  return get_fixed(env, v, name, out->bytes, sizeof out->bytes);
}

static bool get_hash(napi_env env, napi_value v, const char *name, weft_hash *out) {
  return get_fixed(env, v, name, out->bytes, sizeof out->bytes);
}

static napi_value make_hex(napi_env env, const uint8_t *bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  char buf[80];
  for (size_t i = 0; i < size; ++i) {
    buf[2 * i] = digits[bytes[i] >> 4];
    buf[2 * i + 1] = digits[bytes[i] & 15];
  }
  napi_value out;
  CALL(env, napi_create_string_utf8(env, buf, 2 * size, &out));
  return out;
}

static napi_value make_actor(napi_env env, const weft_actor *a) {
  return make_hex(env, a->bytes, sizeof a->bytes);
}

/* {actor, counter} */
static bool get_op_id(napi_env env, napi_value v, const char *name, weft_op_id *out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_object) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an op id {actor, counter}", name);
    return throw_type(env, msg);
  }
  napi_value actor, counter;
  TRY(env, napi_get_named_property(env, v, "actor", &actor));
  TRY(env, napi_get_named_property(env, v, "counter", &counter));
  return get_actor(env, actor, "id.actor", &out->actor) && get_u64(env, counter, "id.counter", false, &out->counter);
}

static napi_value make_op_id(napi_env env, const weft_op_id *id) {
  napi_value obj, actor, counter;
  CALL(env, napi_create_object(env, &obj));
  if ((actor = make_actor(env, &id->actor)) == NULL || !set_prop(env, obj, "actor", actor)) return NULL;
  if ((counter = make_u64(env, id->counter)) == NULL || !set_prop(env, obj, "counter", counter)) return NULL;
  return obj;
}

/* A malloc'd array of op ids from a JS array (NULL and 0 when empty). */
static bool get_op_ids(napi_env env, napi_value v, const char *name, weft_op_id **out, size_t *len) {
  *out = NULL;
  *len = 0;
  bool is_array = false;
  TRY(env, napi_is_array(env, v, &is_array));
  if (!is_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an array of op ids", name);
    return throw_type(env, msg);
  }
  uint32_t n = 0;
  TRY(env, napi_get_array_length(env, v, &n));
  if (n == 0) return true;
  weft_op_id *ids = (weft_op_id *)calloc(n, sizeof *ids);
  if (ids == NULL) return throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    if (!check(env, napi_get_element(env, v, i, &e), "napi_get_element") || !get_op_id(env, e, name, &ids[i])) {
      free(ids);
      return false;
    }
  }
  *out = ids;
  *len = n;
  return true;
}

static napi_value make_op_ids(napi_env env, const weft_op_id *ids, size_t n) {
  napi_value arr;
  CALL(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    napi_value id = make_op_id(env, &ids[i]);
    if (id == NULL) return NULL;
    CALL(env, napi_set_element(env, arr, (uint32_t)i, id));
  }
  return arr;
}

static napi_value make_op(napi_env env, const weft_op_view *v) {
  napi_value obj, x;
  CALL(env, napi_create_object(env, &obj));
  if ((x = make_op_id(env, &v->id)) == NULL || !set_prop(env, obj, "id", x)) return NULL;
  if (!set_u64(env, obj, "lamport", v->lamport) || !set_u64(env, obj, "cursor", v->cursor)) return NULL;
  if ((x = make_u32(env, v->kind)) == NULL || !set_prop(env, obj, "kind", x)) return NULL;
  if ((x = make_i64(env, v->timestamp_ms)) == NULL || !set_prop(env, obj, "timestampMs", x)) return NULL;
  if ((x = make_op_ids(env, v->deps, v->deps_len)) == NULL || !set_prop(env, obj, "deps", x)) return NULL;
  if ((x = make_buffer(env, v->payload, v->payload_len)) == NULL || !set_prop(env, obj, "payload", x)) return NULL;
  if ((x = make_buffer(env, v->hash.bytes, sizeof v->hash.bytes)) == NULL || !set_prop(env, obj, "hash", x)) return NULL;
  return obj;
}

static napi_value make_seal(napi_env env, const weft_seal *s) {
  napi_value obj, x;
  CALL(env, napi_create_object(env, &obj));
  if ((x = make_actor(env, &s->actor)) == NULL || !set_prop(env, obj, "actor", x)) return NULL;
  if (!set_u64(env, obj, "index", s->index) || !set_u64(env, obj, "first", s->first) ||
      !set_u64(env, obj, "last", s->last)) {
    return NULL;
  }
  if ((x = make_buffer(env, s->prev_digest.bytes, 32)) == NULL || !set_prop(env, obj, "prevDigest", x)) return NULL;
  if ((x = make_buffer(env, s->digest.bytes, 32)) == NULL || !set_prop(env, obj, "digest", x)) return NULL;
  return obj;
}

static bool get_seal(napi_env env, napi_value v, weft_seal *out) {
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_object) return throw_type(env, "expected must be a seal record object");
  napi_value x;
  TRY(env, napi_get_named_property(env, v, "actor", &x));
  if (!get_actor(env, x, "seal.actor", &out->actor)) return false;
  TRY(env, napi_get_named_property(env, v, "index", &x));
  if (!get_u64(env, x, "seal.index", false, &out->index)) return false;
  TRY(env, napi_get_named_property(env, v, "first", &x));
  if (!get_u64(env, x, "seal.first", false, &out->first)) return false;
  TRY(env, napi_get_named_property(env, v, "last", &x));
  if (!get_u64(env, x, "seal.last", false, &out->last)) return false;
  TRY(env, napi_get_named_property(env, v, "prevDigest", &x));
  if (!get_hash(env, x, "seal.prevDigest", &out->prev_digest)) return false;
  TRY(env, napi_get_named_property(env, v, "digest", &x));
  return get_hash(env, x, "seal.digest", &out->digest);
}

/* Reads up to `max` arguments; missing ones are undefined. Every exported
 * function starts here, so it also forgets an adapter exception left by an
 * earlier call (one weft absorbed, or one thrown in a finalizer): only an
 * exception thrown during this call may become its error's cause. */
static bool get_args(napi_env env, napi_callback_info info, size_t max, napi_value *argv) {
  size_t argc = max;
  TRY(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return clear_kv_error(env);
}

static napi_value undefined(napi_env env) {
  napi_value u;
  CALL(env, napi_get_undefined(env, &u));
  return u;
}

/* ------------------------------------------------------------- log options */

static bool get_name(napi_env env, napi_value v, const char *name, char **out);

typedef struct OpenArgs {
  char *path;
  char *log_name;
  weft_log_options opts;
  weft_sqlite_options sqlite; /* only for weft_log_open_sqlite */
} OpenArgs;

static void open_args_free(OpenArgs *o) {
  free(o->path);
  free(o->log_name);
  o->path = NULL;
  o->log_name = NULL;
}

/* Is `v` an options object (true), nullish (false: the defaults), or neither (throws)? */
static bool options_object(napi_env env, napi_value v, bool *present) {
  bool nullish;
  if (!is_nullish(env, v, &nullish)) return false;
  *present = !nullish;
  if (nullish) return true;
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_object) return throw_type(env, "options must be an object");
  return true;
}

/* weft_log_options from {actor, autoSealOps, maxOps, maxPayloadBytes,
 * maxDepsPerOp, maxActors, maxMessageBytes}; other keys are not read here. */
static bool get_log_options(napi_env env, napi_value v, OpenArgs *o) {
  int32_t st = WEFT_INIT(weft_log_options_init, &o->opts);
  if (st != WEFT_OK) return throw_last(env, st);
  bool present;
  if (!options_object(env, v, &present)) return false;
  if (!present) return true;
  napi_value x;
  bool has;
  if (!get_prop(env, v, "actor", &x, &has)) return false;
  if (has) {
    if (!get_actor(env, x, "options.actor", &o->opts.actor)) return false;
    o->opts.has_actor = 1;
  }
  if (!get_prop(env, v, "autoSealOps", &x, &has)) return false;
  if (has && !get_u64(env, x, "options.autoSealOps", false, &o->opts.auto_seal_ops)) return false;
  if (!get_prop(env, v, "maxOps", &x, &has)) return false;
  if (has && !get_u32(env, x, "options.maxOps", &o->opts.max_ops)) return false;
  if (!get_prop(env, v, "maxPayloadBytes", &x, &has)) return false;
  if (has && !get_u32(env, x, "options.maxPayloadBytes", &o->opts.max_payload_bytes)) return false;
  if (!get_prop(env, v, "maxDepsPerOp", &x, &has)) return false;
  if (has && !get_u32(env, x, "options.maxDepsPerOp", &o->opts.max_deps_per_op)) return false;
  if (!get_prop(env, v, "maxActors", &x, &has)) return false;
  if (has && !get_u32(env, x, "options.maxActors", &o->opts.max_actors)) return false;
  if (!get_prop(env, v, "maxMessageBytes", &x, &has)) return false;
  if (has && !get_u64(env, x, "options.maxMessageBytes", false, &o->opts.max_message_bytes)) return false;
  return true;
}

/* weft_sqlite_options from the same object: {synchronousFull, busyTimeoutMs,
 * create, specialNames, logName}. */
static bool get_sqlite_options(napi_env env, napi_value v, OpenArgs *o) {
  int32_t st = WEFT_INIT(weft_sqlite_options_init, &o->sqlite);
  if (st != WEFT_OK) return throw_last(env, st);
  bool present;
  if (!options_object(env, v, &present)) return false;
  if (!present) return true;
  static const struct {
    const char *key, *name;
    size_t offset;
  } flags[] = {
      {"synchronousFull", "options.synchronousFull", offsetof(weft_sqlite_options, synchronous_full)},
      {"create", "options.create", offsetof(weft_sqlite_options, create)},
      {"specialNames", "options.specialNames", offsetof(weft_sqlite_options, special_names)},
  };
  napi_value x;
  bool has, flag;
  char *base = (char *)&o->sqlite;
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
    if (!get_prop(env, v, flags[i].key, &x, &has)) return false;
    if (!has) continue;
    if (!get_bool(env, x, flags[i].name, &flag)) return false;
    *(uint32_t *)(base + flags[i].offset) = flag ? 1 : 0;
  }
  if (!get_prop(env, v, "busyTimeoutMs", &x, &has)) return false;
  if (has && !get_u32(env, x, "options.busyTimeoutMs", &o->sqlite.busy_timeout_ms)) return false;
  if (!get_prop(env, v, "logName", &x, &has)) return false;
  if (has) {
    if (!get_name(env, x, "options.logName", &o->log_name)) return false;
    o->sqlite.log_name = o->log_name;
  }
  return true;
}

/* path, then the log's and the SQLite store's options from one object. */
static bool get_sqlite_open_args(napi_env env, napi_value path, napi_value options, OpenArgs *o) {
  return get_name(env, path, "path", &o->path) && get_log_options(env, options, o) &&
         get_sqlite_options(env, options, o);
}

/* ------------------------------------------------------------- async work */

enum WorkKind { WORK_APPLY, WORK_DIFF, WORK_MERGE, WORK_SEAL, WORK_VERIFY, WORK_OPEN_SQLITE };

typedef struct Work {
  enum WorkKind kind;
  Addon *addon;
  napi_async_work work;
  napi_deferred deferred;
  Box *log;
  napi_ref log_ref; /* keeps the JS object alive while the work runs */
  Box *other;
  napi_ref other_ref;
  /* inputs */
  Bytes bytes;
  uint32_t u32;
  uint32_t epoch;
  uint64_t u64;
  weft_actor actor;
  bool has_hash;
  weft_hash hash;
  OpenArgs open;
  /* outputs */
  int32_t status;
  char *message;
  weft_ack *ack;
  weft_bufs *bufs;
  weft_log *opened;
  weft_seal seal;
  uint64_t r1, r2;
} Work;

static Work *work_new(napi_env env, enum WorkKind kind) {
  Addon *a = addon_of(env);
  if (a == NULL) return NULL;
  Work *w = (Work *)calloc(1, sizeof *w);
  if (w == NULL) {
    throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  w->kind = kind;
  w->addon = a;
  a->refs++;
  return w;
}

/* Makes `w` hold the box of JS object `obj` (and the object itself). */
static bool work_hold(napi_env env, Work *w, Box *b, napi_value obj, bool other) {
  napi_ref ref;
  if (b->kv != NULL) {
    return throw_weft(env, WEFT_INVALID_ARGUMENT,
                      "a log kept in a JS store adapter has no async variants: its adapter runs on the JS thread");
  }
  TRY(env, napi_create_reference(env, obj, 1, &ref));
  b->pending++;
  if (other) {
    w->other = b;
    w->other_ref = ref;
  } else {
    w->log = b;
    w->log_ref = ref;
  }
  return true;
}

static void work_free(napi_env env, Work *w) {
  if (w->log_ref != NULL) cleanup_call(napi_delete_reference(env, w->log_ref), "delete log reference");
  if (w->other_ref != NULL) cleanup_call(napi_delete_reference(env, w->other_ref), "delete log reference");
  if (w->log != NULL) {
    w->log->pending--;
    box_settle(w->log);
  }
  if (w->other != NULL) {
    w->other->pending--;
    box_settle(w->other);
  }
  if (w->work != NULL) cleanup_call(napi_delete_async_work(env, w->work), "napi_delete_async_work");
  bytes_free(&w->bytes);
  open_args_free(&w->open);
  free(w->message);
  weft_ack_free(w->ack);
  weft_bufs_free(w->bufs);
  weft_log_free(w->opened);
  addon_unref(w->addon);
  free(w);
}

static int32_t call_diff(weft_bufs **out, const weft_log *log, const Bytes *vv, uint32_t max_ops, uint32_t epoch);

/* Runs on a pool thread: only weft calls, no N-API. */
static void work_execute(napi_env env, void *data) {
  (void)env;
  Work *w = (Work *)data;
  weft_log *log = w->log != NULL ? (weft_log *)w->log->ptr : NULL;
  switch (w->kind) {
    case WORK_APPLY: w->status = weft_log_apply(&w->ack, log, w->bytes.data, w->bytes.len); break;
    case WORK_DIFF: w->status = call_diff(&w->bufs, log, &w->bytes, w->u32, w->epoch); break;
    case WORK_MERGE: w->status = weft_log_merge(&w->r1, log, (const weft_log *)w->other->ptr); break;
    case WORK_SEAL:
      w->status = weft_log_seal(&w->seal, log, &w->actor, w->u64, w->has_hash ? &w->hash : NULL);
      break;
    case WORK_VERIFY: w->status = weft_log_verify(&w->r1, &w->r2, log); break;
    case WORK_OPEN_SQLITE:
      w->status = weft_log_open_sqlite(&w->opened, w->open.path, &w->open.opts, &w->open.sqlite);
      break;
  }
  if (w->status != WEFT_OK) {
    /* The last error is thread-local: copy it on this thread, now. */
    const weft_error *e = weft_last_error();
    w->message = copy_text(e->message, e->message_len);
  }
}

static napi_value make_ack(napi_env env, weft_ack *ack);
static napi_value make_bufs(napi_env env, const weft_bufs *bufs);
static napi_value make_verify_report(napi_env env, uint64_t ops, uint64_t chunks);

static napi_value work_result(napi_env env, Work *w) {
  napi_value x;
  switch (w->kind) {
    case WORK_APPLY: x = make_ack(env, w->ack); w->ack = NULL; return x;
    case WORK_DIFF: return make_bufs(env, w->bufs);
    case WORK_MERGE: return make_u64(env, w->r1);
    case WORK_SEAL: return make_seal(env, &w->seal);
    case WORK_VERIFY: return make_verify_report(env, w->r1, w->r2);
    case WORK_OPEN_SQLITE: x = wrap_handle(env, KIND_LOG, w->opened, NULL, NULL); w->opened = NULL; return x;
  }
  return NULL;
}

/* Rejects with the pending exception (or a generic error). */
static void reject_pending(napi_env env, napi_deferred deferred) {
  napi_value exc = NULL;
  bool pending = false;
  cleanup_call(napi_is_exception_pending(env, &pending), "napi_is_exception_pending");
  if (pending) cleanup_call(napi_get_and_clear_last_exception(env, &exc), "napi_get_and_clear_last_exception");
  if (exc == NULL) {
    napi_value msg;
    if (napi_create_string_utf8(env, "weft: async work failed", NAPI_AUTO_LENGTH, &msg) != napi_ok ||
        napi_create_error(env, NULL, msg, &exc) != napi_ok) {
      return;
    }
  }
  cleanup_call(napi_reject_deferred(env, deferred, exc), "napi_reject_deferred");
}

static void work_complete(napi_env env, napi_status status, void *data) {
  Work *w = (Work *)data;
  if (status != napi_ok) {
    w->status = WEFT_CANCELLED;
    free(w->message);
    static const char cancelled[] = "the async operation was cancelled";
    w->message = copy_text(cancelled, sizeof cancelled - 1);
  }
  napi_value value = NULL;
  if (w->status == WEFT_OK) {
    value = work_result(env, w);
  } else {
    value = new_weft_error(env, w->status, w->message != NULL ? w->message : "");
    if (value != NULL) {
      cleanup_call(napi_reject_deferred(env, w->deferred, value), "napi_reject_deferred");
      work_free(env, w);
      return;
    }
  }
  if (value != NULL) {
    cleanup_call(napi_resolve_deferred(env, w->deferred, value), "napi_resolve_deferred");
  } else {
    reject_pending(env, w->deferred);
  }
  work_free(env, w);
}

/* Queues `w` and returns its promise; frees `w` on failure. */
static napi_value work_start(napi_env env, Work *w, const char *name) {
  napi_value resource_name, promise;
  TRYG(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name));
  TRYG(env, napi_create_async_work(env, NULL, resource_name, work_execute, work_complete, w, &w->work));
  TRYG(env, napi_create_promise(env, &w->deferred, &promise));
  if (!check(env, napi_queue_async_work(env, w->work), "napi_queue_async_work")) {
    reject_pending(env, w->deferred);
    work_free(env, w);
    return promise;
  }
  return promise;
fail:
  work_free(env, w);
  return NULL;
}

/* ------------------------------------------------------------- module: misc */

static napi_value js_set_error_class(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  napi_valuetype t;
  CALL(env, napi_typeof(env, argv[0], &t));
  if (t != napi_function) {
    throw_type(env, "the error class must be a constructor");
    return NULL;
  }
  Addon *a = addon_of(env);
  if (a == NULL) return NULL;
  if (a->error_ctor != NULL) {
    CALL(env, napi_delete_reference(env, a->error_ctor));
    a->error_ctor = NULL;
  }
  CALL(env, napi_create_reference(env, argv[0], 1, &a->error_ctor));
  return undefined(env);
}

static napi_value js_status_name(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t code;
  if (!get_args(env, info, 1, argv)) return NULL;
  CALL(env, napi_get_value_int32(env, argv[0], &code));
  return make_string(env, weft_status_name(code));
}

static napi_value js_status_retryable(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  int32_t code;
  if (!get_args(env, info, 1, argv)) return NULL;
  CALL(env, napi_get_value_int32(env, argv[0], &code));
  CALL(env, napi_get_boolean(env, weft_status_retryable(code) != 0, &out));
  return out;
}

static napi_value js_live_handles(napi_env env, napi_callback_info info) {
  (void)info;
  Addon *a = addon_of(env);
  if (a == NULL) return NULL;
  napi_value obj, x;
  int64_t total = 0;
  static const char *const keys[KIND_COUNT] = {"log", "iter", "ack", "builder", "session", "host"};
  CALL(env, napi_create_object(env, &obj));
  for (int k = 0; k < KIND_COUNT; ++k) {
    CALL(env, napi_create_int64(env, a->live[k], &x));
    if (!set_prop(env, obj, keys[k], x)) return NULL;
    total += a->live[k];
  }
  CALL(env, napi_create_int64(env, total, &x));
  if (!set_prop(env, obj, "total", x)) return NULL;
  return obj;
}

/* ------------------------------------------------------------- JS store adapters */

/*
 * A weft_kv_store whose callbacks are the methods of a JS object (index.js
 * normalizes the user's adapter into it). They run synchronously on the
 * JS thread, inside the weft call that needs them: the table says
 * `concurrent = 0`, so the conformance kit uses no threads, and logs kept
 * in such an adapter refuse the async variants. A thrown exception becomes
 * the callback's status (its `status` if it has one, else IO_ERROR), its
 * message the callback's weft_error_set() message (so weft_last_error(),
 * and the WeftError thrown to the caller, say what the adapter said), and
 * the exception itself that WeftError's `cause`.
 */
/* A JS value handed to weft as an opaque db or connection. */
typedef struct KvValue {
  napi_ref ref;
} KvValue;

struct Kv {
  napi_env env;
  Addon *addon;
  thrd_t thread; /* the JS thread: the only one allowed to call in */
  napi_ref adapter;
  KvValue db;    /* Log.openKv's database value: it outlives the log */
  uint32_t refs; /* a log box, its iterators, a running conformance kit */
  char *why;     /* why the running callback fails (malloc'd), for weft_error_set */
};

static void kv_unref(Kv *kv) {
  if (--kv->refs > 0) return;
  if (kv->adapter != NULL) cleanup_call(napi_delete_reference(kv->env, kv->adapter), "delete adapter reference");
  if (kv->db.ref != NULL) cleanup_call(napi_delete_reference(kv->env, kv->db.ref), "delete db reference");
  addon_unref(kv->addon);
  free(kv->why);
  free(kv);
}

static Kv *kv_new(napi_env env, napi_value adapter) {
  Addon *a = addon_of(env);
  if (a == NULL) return NULL;
  Kv *kv = (Kv *)calloc(1, sizeof *kv);
  if (kv == NULL) {
    throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  kv->env = env;
  kv->addon = a;
  kv->thread = thrd_current();
  kv->refs = 1;
  a->refs++;
  if (!check(env, napi_create_reference(env, adapter, 1, &kv->adapter), "napi_create_reference")) {
    kv_unref(kv);
    return NULL;
  }
  return kv;
}

/* A malloc'd UTF-8 copy of a JS string value; NULL if it is not one. */
static char *kv_text(napi_env env, napi_value v) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    return NULL;
  }
  char *s = (char *)malloc(len + 1);
  if (s != NULL && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    s = NULL;
  }
  return s;
}

/* Remembers what the exception `exc` says (an Error's message, or the
 * thrown value as a string) as the reason the running callback fails. */
static void kv_describe(Kv *kv, napi_value exc) {
  napi_env env = kv->env;
  napi_valuetype t;
  napi_value v;
  char *why = NULL;
  if (napi_typeof(env, exc, &t) != napi_ok) return;
  if (t == napi_object || t == napi_function) {
    bool has = false;
    if (napi_has_named_property(env, exc, "message", &has) == napi_ok && has &&
        napi_get_named_property(env, exc, "message", &v) == napi_ok) {
      why = kv_text(env, v);
    }
  }
  if (why == NULL && t != napi_object && t != napi_function && t != napi_symbol &&
      napi_coerce_to_string(env, exc, &v) == napi_ok) {
    why = kv_text(env, v); /* throw 'text', throw 42 */
  }
  /* A getter or toString that threw: keep the first exception only. */
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value ignored;
    cleanup_call(napi_get_and_clear_last_exception(env, &ignored), "drop an exception from a message getter");
  }
  if (why == NULL || why[0] == '\0') {
    free(why);
    static const char fallback[] = "the JS store adapter threw a value without a message";
    why = copy_text(fallback, sizeof fallback - 1);
  }
  free(kv->why);
  kv->why = why;
}

/* Takes the pending exception of a failed callback: keeps the first one
 * for the caller, remembers its message for weft_error_set, and answers
 * the status it stands for. */
static int32_t kv_caught(Kv *kv) {
  napi_env env = kv->env;
  napi_value exc = NULL;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return WEFT_INTERNAL;
  if (napi_get_and_clear_last_exception(env, &exc) != napi_ok) return WEFT_INTERNAL;
  kv_describe(kv, exc);
  int32_t status = WEFT_IO_ERROR;
  napi_valuetype t = napi_undefined;
  napi_value s;
  bool has = false;
  if (napi_typeof(env, exc, &t) == napi_ok && t == napi_object &&
      napi_has_named_property(env, exc, "status", &has) == napi_ok && has &&
      napi_get_named_property(env, exc, "status", &s) == napi_ok) {
    int32_t v;
    if (napi_get_value_int32(env, s, &v) == napi_ok && v > WEFT_OK && v <= WEFT_INTERNAL) status = v;
  }
  /* N-API 8 references only objects and functions: a thrown primitive
     reaches the caller as the message alone. */
  if (kv->addon->kv_error == NULL && (t == napi_object || t == napi_function)) {
    cleanup_call(napi_create_reference(env, exc, 1, &kv->addon->kv_error), "keep the adapter's exception");
  }
  return status;
}

/* Calls adapter[method](...argv) into *result. Runs inside the caller's
 * handle scope, which the callback opened. */
static int32_t kv_call(Kv *kv, const char *method, size_t argc, napi_value *argv, napi_value *result) {
  napi_env env = kv->env;
  napi_value adapter, fn, ignored;
  if (!thrd_equal(thrd_current(), kv->thread)) return WEFT_INTERNAL;
  if (napi_get_reference_value(env, kv->adapter, &adapter) != napi_ok || adapter == NULL ||
      napi_get_named_property(env, adapter, method, &fn) != napi_ok) {
    return kv_caught(kv);
  }
  if (napi_call_function(env, adapter, fn, argc, argv, result != NULL ? result : &ignored) != napi_ok) {
    return kv_caught(kv);
  }
  return WEFT_OK;
}

static int32_t kv_value_of(Kv *kv, void *handle, napi_value *out) {
  KvValue *v = (KvValue *)handle;
  if (v == NULL || napi_get_reference_value(kv->env, v->ref, out) != napi_ok || *out == NULL) return WEFT_INTERNAL;
  return WEFT_OK;
}

static int32_t kv_keep(Kv *kv, napi_value value, void **out) {
  KvValue *v = (KvValue *)calloc(1, sizeof *v);
  if (v == NULL) return WEFT_RESOURCE_EXHAUSTED;
  if (napi_create_reference(kv->env, value, 1, &v->ref) != napi_ok) {
    free(v);
    return WEFT_INTERNAL;
  }
  *out = v;
  return WEFT_OK;
}

static void kv_drop(Kv *kv, void *handle) {
  KvValue *v = (KvValue *)handle;
  if (v == NULL) return;
  cleanup_call(napi_delete_reference(kv->env, v->ref), "delete adapter value reference");
  free(v);
}

/* Ends a callback that returns `rc`: a failure is described with
 * weft_error_set, right before it is returned (weft reads the message only
 * for that code, from this thread), so weft's caller finds it in
 * weft_last_error(). */
static int32_t kv_return(Kv *kv, int32_t rc) {
  char *why = kv->why;
  kv->why = NULL;
  if (rc != WEFT_OK) {
    const char *text = why;
    if (text == NULL && rc == WEFT_INTERNAL) text = "an N-API call failed in the Node addon's adapter bridge";
    if (text == NULL && rc == WEFT_RESOURCE_EXHAUSTED) text = "out of memory in the Node addon's adapter bridge";
    if (text != NULL) rc = weft_error_set(rc, text);
  }
  free(why);
  return rc;
}

/* Brackets every callback: a handle scope for the JS values it makes. */
#define KV_ENTER(user)                                                         \
  Kv *kv = (Kv *)(user);                                                       \
  napi_handle_scope scope;                                                     \
  if (!thrd_equal(thrd_current(), kv->thread)) {                               \
    return weft_error_set(WEFT_INTERNAL, "a JS store adapter was called off its JS thread"); \
  }                                                                            \
  if (napi_open_handle_scope(kv->env, &scope) != napi_ok) return kv_return(kv, WEFT_INTERNAL); \
  free(kv->why); /* left by a void callback: not this one's */               \
  kv->why = NULL;
#define KV_LEAVE(status)                                                       \
  do {                                                                         \
    int32_t rc_ = (status);                                                    \
    cleanup_call(napi_close_handle_scope(kv->env, scope), "napi_close_handle_scope"); \
    return kv_return(kv, rc_);                                                 \
  } while (0)

static int32_t kv_buffer(Kv *kv, const uint8_t *data, size_t len, napi_value *out) {
  void *p = NULL;
  napi_status st = len == 0 ? napi_create_buffer(kv->env, 0, &p, out)
                            : napi_create_buffer_copy(kv->env, len, data, &p, out);
  return st == napi_ok ? WEFT_OK : WEFT_RESOURCE_EXHAUSTED;
}

static int32_t kv_cb_create(void **db, void *user) {
  KV_ENTER(user);
  napi_value value;
  int32_t rc = kv_call(kv, "create", 0, NULL, &value);
  if (rc == WEFT_OK) rc = kv_keep(kv, value, db);
  KV_LEAVE(rc);
}

static void kv_cb_destroy(void *db, void *user) {
  Kv *kv = (Kv *)user;
  napi_handle_scope scope;
  if (!thrd_equal(thrd_current(), kv->thread)) return;
  if (napi_open_handle_scope(kv->env, &scope) != napi_ok) return;
  napi_value argv[1];
  if (kv_value_of(kv, db, &argv[0]) == WEFT_OK) (void)kv_call(kv, "destroy", 1, argv, NULL);
  kv_drop(kv, db);
  free(kv->why); /* void: weft cannot be told */
  kv->why = NULL;
  cleanup_call(napi_close_handle_scope(kv->env, scope), "napi_close_handle_scope");
}

static int32_t kv_cb_connect(void *db, void **conn, void *user) {
  KV_ENTER(user);
  napi_value argv[1], value;
  int32_t rc = kv_value_of(kv, db, &argv[0]);
  if (rc == WEFT_OK) rc = kv_call(kv, "connect", 1, argv, &value);
  if (rc == WEFT_OK) rc = kv_keep(kv, value, conn);
  KV_LEAVE(rc);
}

static void kv_cb_disconnect(void *conn, void *user) {
  Kv *kv = (Kv *)user;
  napi_handle_scope scope;
  if (!thrd_equal(thrd_current(), kv->thread)) return;
  if (napi_open_handle_scope(kv->env, &scope) != napi_ok) return;
  napi_value argv[1];
  if (kv_value_of(kv, conn, &argv[0]) == WEFT_OK) (void)kv_call(kv, "disconnect", 1, argv, NULL);
  kv_drop(kv, conn);
  free(kv->why); /* void: weft cannot be told */
  kv->why = NULL;
  cleanup_call(napi_close_handle_scope(kv->env, scope), "napi_close_handle_scope");
}

static int32_t kv_conn_call(void *conn, const char *method, void *user) {
  KV_ENTER(user);
  napi_value argv[1];
  int32_t rc = kv_value_of(kv, conn, &argv[0]);
  if (rc == WEFT_OK) rc = kv_call(kv, method, 1, argv, NULL);
  KV_LEAVE(rc);
}

static int32_t kv_cb_begin(void *conn, void *user) { return kv_conn_call(conn, "begin", user); }
static int32_t kv_cb_commit(void *conn, void *user) { return kv_conn_call(conn, "commit", user); }
static int32_t kv_cb_rollback(void *conn, void *user) { return kv_conn_call(conn, "rollback", user); }

static int32_t kv_cb_put(void *conn, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                         void *user) {
  KV_ENTER(user);
  napi_value argv[3];
  int32_t rc = kv_value_of(kv, conn, &argv[0]);
  if (rc == WEFT_OK) rc = kv_buffer(kv, key, key_len, &argv[1]);
  if (rc == WEFT_OK) rc = kv_buffer(kv, value, value_len, &argv[2]);
  if (rc == WEFT_OK) rc = kv_call(kv, "put", 3, argv, NULL);
  KV_LEAVE(rc);
}

/* The value a get or scan callback handed back, as borrowed bytes. */
static int32_t kv_bytes_of(Kv *kv, napi_value v, const uint8_t **data, size_t *len) {
  Bytes b;
  bool yes = false;
  if (!is_bytes(kv->env, v, false, &yes) || !yes || !get_bytes(kv->env, v, "adapter value", false, &b)) {
    bool pending = false;
    if (napi_is_exception_pending(kv->env, &pending) != napi_ok) return WEFT_INTERNAL;
    if (!pending) throw_type(kv->env, "a store adapter must return keys and values as Buffer or Uint8Array");
    return kv_caught(kv);
  }
  *data = b.data;
  *len = b.len;
  return WEFT_OK;
}

static int32_t kv_cb_get(void *conn, const uint8_t *key, size_t key_len, weft_kv_row_fn row, void *ctx, void *user) {
  KV_ENTER(user);
  napi_value argv[2], value;
  int32_t rc = kv_value_of(kv, conn, &argv[0]);
  if (rc == WEFT_OK) rc = kv_buffer(kv, key, key_len, &argv[1]);
  if (rc == WEFT_OK) rc = kv_call(kv, "get", 2, argv, &value);
  bool nullish = true;
  if (rc == WEFT_OK && !is_nullish(kv->env, value, &nullish)) rc = kv_caught(kv);
  if (rc == WEFT_OK && !nullish) {
    const uint8_t *data = NULL;
    size_t len = 0;
    rc = kv_bytes_of(kv, value, &data, &len);
    if (rc == WEFT_OK) (void)row(key, key_len, data, len, ctx);
  }
  KV_LEAVE(rc);
}

/* The emit(key, value) function a scan hands to JS: true means stop. */
typedef struct KvScan {
  Kv *kv;
  weft_kv_row_fn row;
  void *ctx;
  bool stopped;
} KvScan;

static napi_value kv_emit(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  size_t argc = 2;
  void *data = NULL;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  KvScan *scan = (KvScan *)data;
  if (scan->stopped) {
    throw_weft(env, WEFT_INVALID_ARGUMENT, "scan: emit called after the scan stopped");
    return NULL;
  }
  Bytes k, v;
  if (!get_bytes(env, argv[0], "scan key", false, &k) || !get_bytes(env, argv[1], "scan value", false, &v)) return NULL;
  if (scan->row(k.data, k.len, v.data, v.len, scan->ctx) != 0) scan->stopped = true;
  CALL(env, napi_get_boolean(env, scan->stopped, &out));
  return out;
}

static void kv_scan_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static int32_t kv_cb_scan(void *conn, const uint8_t *from, size_t from_len, const uint8_t *to, size_t to_len,
                          uint64_t limit, weft_kv_row_fn row, void *ctx, void *user) {
  KV_ENTER(user);
  napi_value argv[5];
  /* On the heap, freed with the emit function: JS may keep emit after
     the scan returns, and must then find it stopped, not a dead frame. */
  KvScan *scan = (KvScan *)calloc(1, sizeof *scan);
  if (scan == NULL) KV_LEAVE(WEFT_RESOURCE_EXHAUSTED);
  scan->kv = kv;
  scan->row = row;
  scan->ctx = ctx;
  int32_t rc = WEFT_OK;
  if (napi_create_function(kv->env, "emit", NAPI_AUTO_LENGTH, kv_emit, scan, &argv[4]) != napi_ok) {
    free(scan);
    KV_LEAVE(WEFT_INTERNAL);
  }
  if (napi_add_finalizer(kv->env, argv[4], scan, kv_scan_finalize, NULL, NULL) != napi_ok) {
    /* Without a finalizer the block would leak: keep it (stopped) anyway. */
    scan->stopped = true;
    KV_LEAVE(WEFT_INTERNAL);
  }
  rc = kv_value_of(kv, conn, &argv[0]);
  if (rc == WEFT_OK) rc = kv_buffer(kv, from, from_len, &argv[1]);
  if (rc == WEFT_OK) rc = kv_buffer(kv, to, to_len, &argv[2]);
  if (rc == WEFT_OK &&
      napi_create_double(kv->env, limit > (uint64_t)kMaxSafe ? (double)INFINITY : (double)limit, &argv[3]) != napi_ok) {
    rc = WEFT_INTERNAL;
  }
  if (rc == WEFT_OK) rc = kv_call(kv, "scan", 5, argv, NULL);
  scan->stopped = true;
  scan->row = NULL;
  scan->ctx = NULL;
  KV_LEAVE(rc);
}

static int32_t kv_table(Kv *kv, weft_kv_store *t) {
  int32_t st = WEFT_INIT(weft_kv_store_init, t);
  if (st != WEFT_OK) return st;
  t->concurrent = 0;
  t->user_data = kv;
  t->create = kv_cb_create;
  t->destroy = kv_cb_destroy;
  t->connect = kv_cb_connect;
  t->disconnect = kv_cb_disconnect;
  t->begin = kv_cb_begin;
  t->commit = kv_cb_commit;
  t->rollback = kv_cb_rollback;
  t->put = kv_cb_put;
  t->get = kv_cb_get;
  t->scan = kv_cb_scan;
  return WEFT_OK;
}

/* runConformance(adapter, only?) -> [{scenario, outcome, diagnostic}] */
static napi_value js_conformance_run(napi_env env, napi_callback_info info) {
  napi_value argv[2], arr = NULL;
  if (!get_args(env, info, 2, argv)) return NULL;
  char *only = NULL;
  bool nullish;
  if (!is_nullish(env, argv[1], &nullish)) return NULL;
  if (!nullish && !get_string(env, argv[1], "only", &only)) return NULL;
  Kv *kv = kv_new(env, argv[0]);
  if (kv == NULL) {
    free(only);
    return NULL;
  }
  weft_kv_store table;
  weft_conformance *results = NULL;
  int32_t st = kv_table(kv, &table);
  if (st == WEFT_OK) st = weft_conformance_run(&results, &table, only);
  free(only);
  if (st != WEFT_OK) {
    throw_last(env, st);
    goto done;
  }
  size_t n = weft_conformance_count(results);
  static const char *const outcomes[] = {"pass", "fail", "skip"};
  TRYG(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    weft_conformance_result r;
    napi_value obj, x;
    if ((st = weft_conformance_at(&r, results, i)) != WEFT_OK) {
      throw_last(env, st);
      goto fail;
    }
    TRYG(env, napi_create_object(env, &obj));
    if ((x = make_string(env, r.scenario)) == NULL || !set_prop(env, obj, "scenario", x)) goto fail;
    const char *outcome = r.outcome >= 0 && r.outcome <= 2 ? outcomes[r.outcome] : "unknown";
    if ((x = make_string(env, outcome)) == NULL || !set_prop(env, obj, "outcome", x)) goto fail;
    if ((x = make_string(env, r.diagnostic)) == NULL || !set_prop(env, obj, "diagnostic", x)) goto fail;
    TRYG(env, napi_set_element(env, arr, (uint32_t)i, obj));
  }
  goto done;
fail:
  arr = NULL;
done:
  weft_conformance_free(results);
  kv_unref(kv);
  return arr;
}

/* logOpenKv(adapter, db, options) -> log handle */
static napi_value js_log_open_kv(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  OpenArgs o = {0};
  if (!get_log_options(env, argv[2], &o)) {
    open_args_free(&o);
    return NULL;
  }
  Kv *kv = kv_new(env, argv[0]);
  if (kv == NULL || !check(env, napi_create_reference(env, argv[1], 1, &kv->db.ref), "napi_create_reference")) {
    open_args_free(&o);
    if (kv != NULL) kv_unref(kv);
    return NULL;
  }
  weft_kv_store table;
  weft_log *log = NULL;
  int32_t st = kv_table(kv, &table);
  if (st == WEFT_OK) st = weft_log_open_kv(&log, &table, &kv->db, &o.opts);
  open_args_free(&o);
  if (st != WEFT_OK) {
    throw_last(env, st);
    kv_unref(kv);
    return NULL;
  }
  return wrap_handle(env, KIND_LOG, log, NULL, kv); /* the box takes kv's reference */
}

/* ------------------------------------------------------------- module: log */

static napi_value js_log_open_memory(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  OpenArgs o = {0};
  if (!get_log_options(env, argv[0], &o)) {
    open_args_free(&o);
    return NULL;
  }
  weft_log *log = NULL;
  int32_t st = weft_log_open_memory(&log, &o.opts);
  if (st != WEFT_OK) throw_last(env, st);
  open_args_free(&o);
  return st == WEFT_OK ? wrap_handle(env, KIND_LOG, log, NULL, NULL) : NULL;
}

static napi_value js_log_open_sqlite(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  OpenArgs o = {0};
  if (!get_sqlite_open_args(env, argv[0], argv[1], &o)) {
    open_args_free(&o);
    return NULL;
  }
  weft_log *log = NULL;
  int32_t st = weft_log_open_sqlite(&log, o.path, &o.opts, &o.sqlite);
  if (st != WEFT_OK) throw_last(env, st);
  open_args_free(&o);
  return st == WEFT_OK ? wrap_handle(env, KIND_LOG, log, NULL, NULL) : NULL;
}

static napi_value js_log_open_sqlite_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Work *w = work_new(env, WORK_OPEN_SQLITE);
  if (w == NULL) return NULL;
  if (!get_sqlite_open_args(env, argv[0], argv[1], &w->open)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.openSqliteAsync");
}

static napi_value js_log_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, false);
  if (b == NULL) return NULL;
  b->closed = true;
  box_settle(b);
  return undefined(env);
}

static napi_value js_log_actor(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  weft_actor actor;
  int32_t st = weft_log_actor(&actor, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_actor(env, &actor);
}

static napi_value js_log_cursor(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  uint64_t cursor;
  int32_t st = weft_log_cursor(&cursor, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_u64(env, cursor);
}

static napi_value js_log_epoch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  uint32_t epoch;
  int32_t st = weft_log_epoch(&epoch, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_u32(env, epoch);
}

static napi_value js_log_set_epoch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  uint32_t epoch;
  if (b == NULL || !get_u32(env, argv[1], "epoch", &epoch)) return NULL;
  int32_t st = weft_log_set_epoch((weft_log *)b->ptr, epoch);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return undefined(env);
}

static napi_value js_log_append(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  uint32_t kind = 0;
  bool nullish;
  if (!is_nullish(env, argv[2], &nullish)) return NULL;
  if (!nullish && !get_u32(env, argv[2], "kind", &kind)) return NULL;
  Bytes payload;
  if (!get_bytes(env, argv[1], "payload", true, &payload)) return NULL;
  weft_op_id id;
  int32_t st = weft_log_append(&id, (weft_log *)b->ptr, payload.data, payload.len, kind);
  if (st != WEFT_OK) throw_last(env, st);
  bytes_free(&payload);
  return st == WEFT_OK ? make_op_id(env, &id) : NULL;
}

typedef struct Requests {
  size_t count;
  weft_append_request *reqs;
  Bytes *payloads;
  weft_op_id **deps;
} Requests;

static void requests_free(Requests *r) {
  for (size_t i = 0; i < r->count; ++i) {
    if (r->payloads != NULL) bytes_free(&r->payloads[i]);
    if (r->deps != NULL) free(r->deps[i]);
  }
  free(r->reqs);
  free(r->payloads);
  free(r->deps);
  memset(r, 0, sizeof *r);
}

/* An item is a payload, or {payload, kind, deps, timestampMs}. */
static bool get_request(napi_env env, napi_value v, uint32_t default_kind, weft_append_request *req,
                        Bytes *payload, weft_op_id **deps) {
  int32_t st = WEFT_INIT(weft_append_request_init, req);
  if (st != WEFT_OK) return throw_last(env, st);
  req->kind = default_kind;
  bool plain = false;
  if (!is_bytes(env, v, true, &plain)) return false;
  napi_value x = v;
  bool has = true;
  if (!plain) {
    napi_valuetype t;
    TRY(env, napi_typeof(env, v, &t));
    if (t != napi_object) return throw_type(env, "an append request must be a payload or {payload, kind, deps, timestampMs}");
    if (!get_prop(env, v, "payload", &x, &has)) return false;
  }
  if (has && !get_bytes(env, x, "payload", true, payload)) return false;
  req->payload = payload->data;
  req->payload_len = payload->len;
  if (plain) return true;
  if (!get_prop(env, v, "kind", &x, &has)) return false;
  if (has && !get_u32(env, x, "kind", &req->kind)) return false;
  if (!get_prop(env, v, "timestampMs", &x, &has)) return false;
  if (has) {
    if (!get_i64(env, x, "timestampMs", &req->timestamp_ms)) return false;
    req->has_timestamp = 1;
  }
  if (!get_prop(env, v, "deps", &x, &has)) return false;
  if (has) {
    if (!get_op_ids(env, x, "deps", deps, &req->deps_len)) return false;
    req->deps = *deps;
    req->has_deps = 1;
  }
  return true;
}

static napi_value js_log_append_many(napi_env env, napi_callback_info info) {
  napi_value argv[3], result = NULL;
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  uint32_t kind = 0;
  bool nullish, is_array;
  if (!is_nullish(env, argv[2], &nullish)) return NULL;
  if (!nullish && !get_u32(env, argv[2], "kind", &kind)) return NULL;
  CALL(env, napi_is_array(env, argv[1], &is_array));
  if (!is_array) return throw_type(env, "appendMany expects an array"), NULL;
  uint32_t n = 0;
  CALL(env, napi_get_array_length(env, argv[1], &n));
  Requests r = {0};
  weft_op_id *ids = NULL;
  r.reqs = (weft_append_request *)calloc(n ? n : 1, sizeof *r.reqs);
  r.payloads = (Bytes *)calloc(n ? n : 1, sizeof *r.payloads);
  r.deps = (weft_op_id **)calloc(n ? n : 1, sizeof *r.deps);
  ids = (weft_op_id *)calloc(n ? n : 1, sizeof *ids);
  if (r.reqs == NULL || r.payloads == NULL || r.deps == NULL || ids == NULL) {
    throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    r.count = i + 1;
    TRYG(env, napi_get_element(env, argv[1], i, &e));
    if (!get_request(env, e, kind, &r.reqs[i], &r.payloads[i], &r.deps[i])) goto fail;
  }
  int32_t st = weft_log_append_many(ids, (weft_log *)b->ptr, r.reqs, n);
  if (st != WEFT_OK) {
    throw_last(env, st);
    goto fail;
  }
  result = make_op_ids(env, ids, n);
fail:
  requests_free(&r);
  free(ids);
  return result;
}

static napi_value make_ack(napi_env env, weft_ack *ack) {
  napi_value obj = NULL, arr, x;
  weft_ack_info ai;
  int32_t st = weft_ack_get_info(&ai, ack);
  if (st != WEFT_OK) {
    throw_last(env, st);
    weft_ack_free(ack);
    return NULL;
  }
  if (!check(env, napi_create_object(env, &obj), "napi_create_object")) {
    weft_ack_free(ack);
    return NULL;
  }
  /* From here the object owns the ack, even on failure. */
  if (wrap_handle(env, KIND_ACK, ack, obj, NULL) == NULL) return NULL;
  if (!set_u64(env, obj, "batchId", ai.batch_id) || !set_u64(env, obj, "seq", ai.seq)) return NULL;
  if ((x = make_string(env, weft_status_name(ai.status))) == NULL || !set_prop(env, obj, "status", x)) return NULL;
  if (!set_u64(env, obj, "cursor", ai.cursor)) return NULL;
  weft_op_id id;
  size_t n = weft_ack_applied_count(ack);
  CALL(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    if ((st = weft_ack_applied_at(&id, ack, i)) != WEFT_OK) return throw_last(env, st), NULL;
    if ((x = make_op_id(env, &id)) == NULL) return NULL;
    CALL(env, napi_set_element(env, arr, (uint32_t)i, x));
  }
  if (!set_prop(env, obj, "applied", arr)) return NULL;
  n = weft_ack_duplicate_count(ack);
  CALL(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    if ((st = weft_ack_duplicate_at(&id, ack, i)) != WEFT_OK) return throw_last(env, st), NULL;
    if ((x = make_op_id(env, &id)) == NULL) return NULL;
    CALL(env, napi_set_element(env, arr, (uint32_t)i, x));
  }
  if (!set_prop(env, obj, "duplicates", arr)) return NULL;
  n = weft_ack_rejected_count(ack);
  CALL(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    int32_t code;
    napi_value r, name;
    if ((st = weft_ack_rejected_at(&id, &code, ack, i)) != WEFT_OK) return throw_last(env, st), NULL;
    CALL(env, napi_create_object(env, &r));
    if ((x = make_op_id(env, &id)) == NULL || !set_prop(env, r, "id", x)) return NULL;
    if ((name = make_string(env, weft_status_name(code))) == NULL || !set_prop(env, r, "code", name)) return NULL;
    CALL(env, napi_set_element(env, arr, (uint32_t)i, r));
  }
  if (!set_prop(env, obj, "rejected", arr)) return NULL;
  return obj;
}

static napi_value js_log_apply(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  Bytes bytes;
  if (b == NULL || !get_bytes(env, argv[1], "batch", false, &bytes)) return NULL;
  weft_ack *ack = NULL;
  int32_t st = weft_log_apply(&ack, (weft_log *)b->ptr, bytes.data, bytes.len);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_ack(env, ack);
}

static napi_value js_log_apply_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Work *w = work_new(env, WORK_APPLY);
  if (w == NULL) return NULL;
  if (!get_bytes(env, argv[1], "batch", false, &w->bytes) || !bytes_own(env, &w->bytes) ||
      !work_hold(env, w, b, argv[0], false)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.applyAsync");
}

static napi_value js_log_read(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  uint64_t from = 1, max = UINT64_MAX;
  bool nullish;
  if (b == NULL || !is_nullish(env, argv[1], &nullish)) return NULL;
  if (!nullish && !get_u64(env, argv[1], "from", false, &from)) return NULL;
  if (!is_nullish(env, argv[2], &nullish)) return NULL;
  if (!nullish && !get_u64(env, argv[2], "max", true, &max)) return NULL;
  weft_iter *it = NULL;
  int32_t st = weft_log_read(&it, (const weft_log *)b->ptr, from, max);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  /* The C iterator keeps the log, hence its adapter, alive. */
  if (b->kv != NULL) b->kv->refs++;
  return wrap_handle(env, KIND_ITER, it, NULL, b->kv);
}

static napi_value js_iter_next(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_ITER, false);
  if (b == NULL) return NULL;
  if (b->ptr == NULL) return undefined(env);
  weft_op_view view;
  uint32_t has_op = 0;
  int32_t st = weft_iter_next(&view, &has_op, (weft_iter *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  if (!has_op) {
    /* Exhausted: release it now rather than at the next GC. */
    b->closed = true;
    box_settle(b);
    return undefined(env);
  }
  return make_op(env, &view);
}

static napi_value js_iter_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_ITER, false);
  if (b == NULL) return NULL;
  b->closed = true;
  box_settle(b);
  return undefined(env);
}

static napi_value js_log_get(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  weft_op_id id;
  if (b == NULL || !get_op_id(env, argv[1], "id", &id)) return NULL;
  weft_op *op = NULL;
  int32_t st = weft_log_get(&op, (const weft_log *)b->ptr, &id);
  if (st == WEFT_NOT_FOUND) {
    napi_value null;
    CALL(env, napi_get_null(env, &null));
    return null;
  }
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  weft_op_view view;
  napi_value result = NULL;
  st = weft_op_get_view(&view, op);
  if (st != WEFT_OK) {
    throw_last(env, st);
  } else {
    result = make_op(env, &view);
  }
  weft_op_free(op);
  return result;
}

/* weft_log_heads and weft_log_canonical_order. */
typedef int32_t (*IdsFn)(weft_op_id *out, size_t capacity, size_t *len, const weft_log *log);

/* The two-call pattern, retried while the list grows under us (the log
 * is shared: another thread may append between the two calls). */
static napi_value ids_of(napi_env env, napi_callback_info info, IdsFn fn) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  size_t len = 0;
  int32_t st = fn(NULL, 0, &len, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  for (;;) {
    size_t capacity = len + 16;
    weft_op_id *ids = (weft_op_id *)calloc(capacity, sizeof *ids);
    if (ids == NULL) return throw_weft(env, WEFT_RESOURCE_EXHAUSTED, "out of memory"), NULL;
    st = fn(ids, capacity, &len, (const weft_log *)b->ptr);
    if (st != WEFT_OK) {
      throw_last(env, st);
      free(ids);
      return NULL;
    }
    if (len <= capacity) {
      napi_value arr = make_op_ids(env, ids, len);
      free(ids);
      return arr;
    }
    free(ids);
  }
}

static napi_value js_log_heads(napi_env env, napi_callback_info info) { return ids_of(env, info, weft_log_heads); }

static napi_value js_log_canonical_order(napi_env env, napi_callback_info info) {
  return ids_of(env, info, weft_log_canonical_order);
}

static napi_value js_log_version_vector(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  weft_buf buf = {NULL, 0};
  int32_t st = weft_log_version_vector(&buf, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value make_bufs(napi_env env, const weft_bufs *bufs) {
  size_t n = weft_bufs_count(bufs);
  napi_value arr;
  CALL(env, napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *data = NULL;
    size_t len = 0;
    int32_t st = weft_bufs_at(&data, &len, bufs, i);
    if (st != WEFT_OK) return throw_last(env, st), NULL;
    napi_value x = make_buffer(env, data, len);
    if (x == NULL) return NULL;
    CALL(env, napi_set_element(env, arr, (uint32_t)i, x));
  }
  return arr;
}

/* vv (nullish: empty), maxOpsPerBatch (nullish: 0, the default) and the
 * epoch to stamp (nullish: 0). */
static bool get_diff_args(napi_env env, napi_value *argv, Bytes *bytes, uint32_t *max_ops, uint32_t *epoch) {
  bool nullish;
  memset(bytes, 0, sizeof *bytes);
  *max_ops = 0;
  *epoch = 0;
  if (!is_nullish(env, argv[0], &nullish)) return false;
  if (!nullish && !get_bytes(env, argv[0], "versionVector", false, bytes)) return false;
  if (!is_nullish(env, argv[1], &nullish)) return false;
  if (!nullish && !get_u32(env, argv[1], "maxOpsPerBatch", max_ops)) return false;
  if (!is_nullish(env, argv[2], &nullish)) return false;
  if (!nullish && !get_u32(env, argv[2], "epoch", epoch)) return false;
  return true;
}

static int32_t call_diff(weft_bufs **out, const weft_log *log, const Bytes *vv, uint32_t max_ops, uint32_t epoch) {
  return weft_log_diff(out, log, vv->data, vv->len, max_ops, epoch);
}

static napi_value js_log_diff(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  Bytes vv;
  uint32_t max_ops, epoch;
  if (b == NULL || !get_diff_args(env, argv + 1, &vv, &max_ops, &epoch)) return NULL;
  weft_bufs *bufs = NULL;
  int32_t st = call_diff(&bufs, (const weft_log *)b->ptr, &vv, max_ops, epoch);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  napi_value out = make_bufs(env, bufs);
  weft_bufs_free(bufs);
  return out;
}

static napi_value js_log_diff_async(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Work *w = work_new(env, WORK_DIFF);
  if (w == NULL) return NULL;
  if (!get_diff_args(env, argv + 1, &w->bytes, &w->u32, &w->epoch) || !bytes_own(env, &w->bytes) ||
      !work_hold(env, w, b, argv[0], false)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.diffAsync");
}

static napi_value js_log_merge(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Box *o = get_box(env, argv[1], KIND_LOG, true);
  if (o == NULL) return NULL;
  uint64_t applied = 0;
  int32_t st = weft_log_merge(&applied, (weft_log *)b->ptr, (const weft_log *)o->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_u64(env, applied);
}

static napi_value js_log_merge_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Box *o = get_box(env, argv[1], KIND_LOG, true);
  if (o == NULL) return NULL;
  Work *w = work_new(env, WORK_MERGE);
  if (w == NULL) return NULL;
  if (!work_hold(env, w, b, argv[0], false) || !work_hold(env, w, o, argv[1], true)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.mergeAsync");
}

static napi_value js_log_digest(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  weft_hash h;
  int32_t st = weft_log_digest(&h, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_buffer(env, h.bytes, sizeof h.bytes);
}

/* actor (nullish: the log's own), last, expectedDigest (optional). */
static bool get_seal_args(napi_env env, Box *b, napi_value *argv, weft_actor *actor, uint64_t *last, bool *has_hash,
                          weft_hash *hash) {
  bool nullish;
  if (!is_nullish(env, argv[0], &nullish)) return false;
  if (nullish) {
    int32_t st = weft_log_actor(actor, (const weft_log *)b->ptr);
    if (st != WEFT_OK) return throw_last(env, st);
  } else if (!get_actor(env, argv[0], "actor", actor)) {
    return false;
  }
  if (!get_u64(env, argv[1], "last", false, last)) return false;
  if (!is_nullish(env, argv[2], &nullish)) return false;
  *has_hash = !nullish;
  return nullish || get_hash(env, argv[2], "expectedDigest", hash);
}

static napi_value js_log_seal(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  weft_actor actor;
  uint64_t last;
  bool has_hash;
  weft_hash hash;
  if (b == NULL || !get_seal_args(env, b, argv + 1, &actor, &last, &has_hash, &hash)) return NULL;
  weft_seal seal;
  int32_t st = weft_log_seal(&seal, (weft_log *)b->ptr, &actor, last, has_hash ? &hash : NULL);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_seal(env, &seal);
}

static napi_value js_log_seal_async(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Work *w = work_new(env, WORK_SEAL);
  if (w == NULL) return NULL;
  if (!get_seal_args(env, b, argv + 1, &w->actor, &w->u64, &w->has_hash, &w->hash) ||
      !work_hold(env, w, b, argv[0], false)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.sealAsync");
}

static napi_value js_log_chunk_get(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  weft_actor actor;
  uint64_t index;
  bool nullish;
  if (b == NULL || !is_nullish(env, argv[1], &nullish)) return NULL;
  if (nullish) {
    int32_t st = weft_log_actor(&actor, (const weft_log *)b->ptr);
    if (st != WEFT_OK) return throw_last(env, st), NULL;
  } else if (!get_actor(env, argv[1], "actor", &actor)) {
    return NULL;
  }
  if (!get_u64(env, argv[2], "index", false, &index)) return NULL;
  weft_buf buf = {NULL, 0};
  int32_t st = weft_log_chunk_get(&buf, (const weft_log *)b->ptr, &actor, index);
  if (st == WEFT_NOT_FOUND) {
    napi_value null;
    CALL(env, napi_get_null(env, &null));
    return null;
  }
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value js_log_chunk_put(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  Bytes bytes;
  weft_hash hash;
  bool nullish;
  if (b == NULL || !get_bytes(env, argv[1], "chunk", false, &bytes) || !is_nullish(env, argv[2], &nullish)) {
    return NULL;
  }
  if (!nullish && !get_hash(env, argv[2], "expectedDigest", &hash)) return NULL;
  weft_seal seal;
  int32_t st = weft_log_chunk_put(&seal, (weft_log *)b->ptr, bytes.data, bytes.len, nullish ? NULL : &hash);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_seal(env, &seal);
}

static napi_value js_chunk_verify(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Bytes bytes;
  weft_seal expected, seal;
  bool nullish;
  if (!get_bytes(env, argv[0], "chunk", false, &bytes) || !is_nullish(env, argv[1], &nullish)) return NULL;
  if (!nullish && !get_seal(env, argv[1], &expected)) return NULL;
  int32_t st = weft_chunk_verify(&seal, bytes.data, bytes.len, nullish ? NULL : &expected);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_seal(env, &seal);
}

static napi_value make_verify_report(napi_env env, uint64_t ops, uint64_t chunks) {
  napi_value obj;
  CALL(env, napi_create_object(env, &obj));
  if (!set_u64(env, obj, "ops", ops) || !set_u64(env, obj, "chunks", chunks)) return NULL;
  return obj;
}

static napi_value js_log_verify(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  uint64_t ops = 0, chunks = 0;
  int32_t st = weft_log_verify(&ops, &chunks, (const weft_log *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_verify_report(env, ops, chunks);
}

static napi_value js_log_verify_async(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  Work *w = work_new(env, WORK_VERIFY);
  if (w == NULL) return NULL;
  if (!work_hold(env, w, b, argv[0], false)) {
    work_free(env, w);
    return NULL;
  }
  return work_start(env, w, "weft.verifyAsync");
}

/* ------------------------------------------------------------- module: format */

static napi_value js_builder_new(napi_env env, napi_callback_info info) {
  (void)info;
  weft_batch_builder *builder = NULL;
  int32_t st = weft_batch_builder_new(&builder);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return wrap_handle(env, KIND_BUILDER, builder, NULL, NULL);
}

static napi_value js_builder_set_header(napi_env env, napi_callback_info info) {
  napi_value argv[2], x;
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_BUILDER, true);
  if (b == NULL) return NULL;
  napi_valuetype t;
  CALL(env, napi_typeof(env, argv[1], &t));
  if (t != napi_object) return throw_type(env, "header must be {batchId, seq, expectedCursor, epoch}"), NULL;
  uint64_t batch_id = 0, seq = 0, expected = 0;
  uint32_t epoch = 0;
  bool has, has_expected;
  if (!get_prop(env, argv[1], "batchId", &x, &has) || (has && !get_u64(env, x, "batchId", false, &batch_id))) return NULL;
  if (!get_prop(env, argv[1], "seq", &x, &has) || (has && !get_u64(env, x, "seq", false, &seq))) return NULL;
  if (!get_prop(env, argv[1], "epoch", &x, &has) || (has && !get_u32(env, x, "epoch", &epoch))) return NULL;
  if (!get_prop(env, argv[1], "expectedCursor", &x, &has_expected) ||
      (has_expected && !get_u64(env, x, "expectedCursor", false, &expected))) {
    return NULL;
  }
  int32_t st = weft_batch_builder_set_header((weft_batch_builder *)b->ptr, batch_id, seq, has_expected ? 1 : 0,
                                             expected, epoch);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return undefined(env);
}

/* {id: {actor, counter} | actor + counter, lamport, kind, timestampMs, deps, payload} */
static napi_value js_builder_add_op(napi_env env, napi_callback_info info) {
  napi_value argv[2], x, result = NULL;
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_BUILDER, true);
  if (b == NULL) return NULL;
  napi_valuetype t;
  CALL(env, napi_typeof(env, argv[1], &t));
  if (t != napi_object) return throw_type(env, "op must be an object"), NULL;
  weft_op_fields f;
  Bytes payload = {0};
  weft_op_id *deps = NULL;
  bool has;
  int32_t st = WEFT_INIT(weft_op_fields_init, &f);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  if (!get_prop(env, argv[1], "id", &x, &has)) goto fail;
  if (has) {
    if (!get_op_id(env, x, "op.id", &f.id)) goto fail;
  } else if (!get_op_id(env, argv[1], "op", &f.id)) {
    goto fail;
  }
  if (!get_prop(env, argv[1], "lamport", &x, &has) || (has && !get_u64(env, x, "lamport", false, &f.lamport))) goto fail;
  if (!get_prop(env, argv[1], "kind", &x, &has) || (has && !get_u32(env, x, "kind", &f.kind))) goto fail;
  if (!get_prop(env, argv[1], "timestampMs", &x, &has) || (has && !get_i64(env, x, "timestampMs", &f.timestamp_ms))) {
    goto fail;
  }
  if (!get_prop(env, argv[1], "deps", &x, &has) || (has && !get_op_ids(env, x, "deps", &deps, &f.deps_len))) goto fail;
  f.deps = deps;
  if (!get_prop(env, argv[1], "payload", &x, &has) || (has && !get_bytes(env, x, "payload", true, &payload))) goto fail;
  f.payload = payload.data;
  f.payload_len = payload.len;
  st = weft_batch_builder_add_op((weft_batch_builder *)b->ptr, &f);
  if (st != WEFT_OK) {
    throw_last(env, st);
    goto fail;
  }
  result = undefined(env);
fail:
  bytes_free(&payload);
  free(deps);
  return result;
}

static napi_value js_builder_finish(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_BUILDER, true);
  if (b == NULL) return NULL;
  weft_buf buf = {NULL, 0};
  int32_t st = weft_batch_builder_finish(&buf, (const weft_batch_builder *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value js_builder_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_BUILDER, false);
  if (b == NULL) return NULL;
  b->closed = true;
  box_settle(b);
  return undefined(env);
}

static napi_value js_batch_decode(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj = NULL, x, ops;
  if (!get_args(env, info, 1, argv)) return NULL;
  Bytes bytes;
  if (!get_bytes(env, argv[0], "batch", false, &bytes)) return NULL;
  weft_batch *batch = NULL;
  int32_t st = weft_batch_decode(&batch, bytes.data, bytes.len);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  weft_batch_info bi;
  if ((st = weft_batch_get_info(&bi, batch)) != WEFT_OK) {
    throw_last(env, st);
    goto fail;
  }
  TRYG(env, napi_create_object(env, &obj));
  if (!set_u64(env, obj, "batchId", bi.batch_id) || !set_u64(env, obj, "seq", bi.seq)) goto fail;
  if (bi.has_expected_cursor) {
    if ((x = make_u64(env, bi.expected_cursor)) == NULL) goto fail;
  } else {
    TRYG(env, napi_get_null(env, &x));
  }
  if (!set_prop(env, obj, "expectedCursor", x)) goto fail;
  if ((x = make_u32(env, bi.epoch)) == NULL || !set_prop(env, obj, "epoch", x)) goto fail;
  size_t n = weft_batch_op_count(batch);
  TRYG(env, napi_create_array_with_length(env, n, &ops));
  for (size_t i = 0; i < n; ++i) {
    weft_op_view view;
    if ((st = weft_batch_op_at(&view, batch, i)) != WEFT_OK) {
      throw_last(env, st);
      goto fail;
    }
    if ((x = make_op(env, &view)) == NULL) goto fail;
    TRYG(env, napi_set_element(env, ops, (uint32_t)i, x));
  }
  if (!set_prop(env, obj, "ops", ops)) goto fail;
  weft_batch_free(batch);
  return obj;
fail:
  weft_batch_free(batch);
  return NULL;
}

static napi_value js_chunk_decode(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj = NULL, x, ops;
  if (!get_args(env, info, 1, argv)) return NULL;
  Bytes bytes;
  if (!get_bytes(env, argv[0], "chunk", false, &bytes)) return NULL;
  weft_chunk *chunk = NULL;
  int32_t st = weft_chunk_decode(&chunk, bytes.data, bytes.len);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  weft_seal seal;
  if ((st = weft_chunk_get_seal(&seal, chunk)) != WEFT_OK) {
    throw_last(env, st);
    goto fail;
  }
  TRYG(env, napi_create_object(env, &obj));
  if ((x = make_seal(env, &seal)) == NULL || !set_prop(env, obj, "seal", x)) goto fail;
  size_t n = weft_chunk_op_count(chunk);
  TRYG(env, napi_create_array_with_length(env, n, &ops));
  for (size_t i = 0; i < n; ++i) {
    weft_op_view view;
    if ((st = weft_chunk_op_at(&view, chunk, i)) != WEFT_OK) {
      throw_last(env, st);
      goto fail;
    }
    if ((x = make_op(env, &view)) == NULL) goto fail;
    TRYG(env, napi_set_element(env, ops, (uint32_t)i, x));
  }
  if (!set_prop(env, obj, "ops", ops)) goto fail;
  weft_chunk_free(chunk);
  return obj;
fail:
  weft_chunk_free(chunk);
  return NULL;
}

static napi_value js_ack_decode(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Bytes bytes;
  if (!get_bytes(env, argv[0], "ack", false, &bytes)) return NULL;
  weft_ack *ack = NULL;
  int32_t st = weft_ack_decode(&ack, bytes.data, bytes.len);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_ack(env, ack);
}

static napi_value js_ack_encode(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_ACK, true);
  if (b == NULL) return NULL;
  weft_buf buf = {NULL, 0};
  int32_t st = weft_ack_encode(&buf, (const weft_ack *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value js_ack_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_ACK, false);
  if (b == NULL) return NULL;
  b->closed = true;
  box_settle(b);
  return undefined(env);
}

/* ------------------------------------------------------------- module: sync */

/*
 * Outbox state, capability tokens, sessions and hosts. A session is a
 * state machine over byte messages: every call is short and synchronous
 * (the application moves the messages), so there are no async variants.
 * A session over a log keeps it (and a JS store adapter's table) alive,
 * like an iterator; one of a host keeps the host alive in C.
 */

/* 'read' | 'append' | 'admin', or a number (passed on: weft judges it). */
static bool get_scope(napi_env env, napi_value v, const char *name, uint32_t *out) {
  static const char *const names[] = {"read", "append", "admin"};
  static const uint32_t values[] = {WEFT_SCOPE_READ, WEFT_SCOPE_APPEND, WEFT_SCOPE_ADMIN};
  char msg[128];
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t == napi_string) {
    char buf[16];
    size_t len = 0;
    TRY(env, napi_get_value_string_utf8(env, v, buf, sizeof buf, &len));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
      if (strlen(names[i]) == len && memcmp(names[i], buf, len) == 0) {
        *out = values[i];
        return true;
      }
    }
    snprintf(msg, sizeof msg, "%s must be 'read', 'append' or 'admin'", name);
    return throw_range(env, msg);
  }
  if (t == napi_number || t == napi_bigint) return get_u32(env, v, name, out);
  snprintf(msg, sizeof msg, "%s must be 'read', 'append' or 'admin'", name);
  return throw_type(env, msg);
}

/* The scope's name, or its number if this addon does not know it. */
static napi_value make_scope(napi_env env, uint32_t scope) {
  switch (scope) {
    case WEFT_SCOPE_READ: return make_string(env, "read");
    case WEFT_SCOPE_APPEND: return make_string(env, "append");
    case WEFT_SCOPE_ADMIN: return make_string(env, "admin");
    default: return make_u32(env, scope);
  }
}

/* A name weft copies: a string without NUL bytes (C would cut it there). */
static bool get_name(napi_env env, napi_value v, const char *name, char **out) {
  if (!get_string(env, v, name, out)) return false;
  size_t len = 0;
  if (!check(env, napi_get_value_string_utf8(env, v, NULL, 0, &len), "napi_get_value_string_utf8")) {
    free(*out);
    *out = NULL;
    return false;
  }
  if (strlen(*out) != len) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must not contain NUL characters", name);
    free(*out);
    *out = NULL;
    return throw_type(env, msg);
  }
  return true;
}

static bool get_secret(napi_env env, napi_value v, const char *name, uint8_t out[32]) {
  return get_fixed(env, v, name, out, 32);
}

/* {ackedCursor, attempts, nextAttemptMs}; missing fields are 0. */
static bool get_peer_state(napi_env env, napi_value v, weft_peer_state *out) {
  memset(out, 0, sizeof *out);
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_object) return throw_type(env, "state must be {ackedCursor, attempts, nextAttemptMs}");
  napi_value x;
  bool has;
  if (!get_prop(env, v, "ackedCursor", &x, &has) || (has && !get_u64(env, x, "state.ackedCursor", false, &out->acked_cursor))) {
    return false;
  }
  if (!get_prop(env, v, "attempts", &x, &has) || (has && !get_u32(env, x, "state.attempts", &out->attempts))) {
    return false;
  }
  return get_prop(env, v, "nextAttemptMs", &x, &has) &&
         (!has || get_u64(env, x, "state.nextAttemptMs", false, &out->next_attempt_ms));
}

static napi_value make_peer_state(napi_env env, const weft_peer_state *p) {
  napi_value obj, x;
  CALL(env, napi_create_object(env, &obj));
  if (!set_u64(env, obj, "ackedCursor", p->acked_cursor)) return NULL;
  if ((x = make_u32(env, p->attempts)) == NULL || !set_prop(env, obj, "attempts", x)) return NULL;
  if (!set_u64(env, obj, "nextAttemptMs", p->next_attempt_ms)) return NULL;
  return obj;
}

/* logPeer(log, name) -> {ackedCursor, attempts, nextAttemptMs} */
static napi_value js_log_peer(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  char *name = NULL;
  if (b == NULL || !get_name(env, argv[1], "peer", &name)) return NULL;
  weft_peer_state p;
  int32_t st = weft_log_peer(&p, (const weft_log *)b->ptr, name);
  if (st != WEFT_OK) throw_last(env, st);
  free(name);
  return st == WEFT_OK ? make_peer_state(env, &p) : NULL;
}

/* logRecordPeer(log, name, state) -> what was stored */
static napi_value js_log_record_peer(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  weft_peer_state state, stored;
  char *name = NULL;
  if (b == NULL || !get_peer_state(env, argv[2], &state) || !get_name(env, argv[1], "peer", &name)) return NULL;
  int32_t st = weft_log_record_peer(&stored, (weft_log *)b->ptr, name, &state);
  if (st != WEFT_OK) throw_last(env, st);
  free(name);
  return st == WEFT_OK ? make_peer_state(env, &stored) : NULL;
}

/* retryWaitMs(state, nowWallMs, baseMs, maxMs, seed = 0) -> ms */
static napi_value js_retry_wait_ms(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  weft_peer_state state;
  uint64_t now = 0, base = 0, max = 0, seed = 0;
  bool nullish;
  if (!get_peer_state(env, argv[0], &state) || !get_u64(env, argv[1], "nowWallMs", false, &now) ||
      !get_u64(env, argv[2], "baseMs", false, &base) || !get_u64(env, argv[3], "maxMs", false, &max) ||
      !is_nullish(env, argv[4], &nullish) || (!nullish && !get_u64(env, argv[4], "seed", false, &seed))) {
    return NULL;
  }
  return make_u64(env, weft_retry_wait_ms(&state, now, base, max, seed));
}

/* secretNew() -> Buffer(32) */
static napi_value js_secret_new(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 0, argv)) return NULL;
  uint8_t secret[32];
  int32_t st = weft_secret_new(secret);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return make_buffer(env, secret, sizeof secret);
}

/* tokenIssue(secret, logId, epoch, scope) -> Buffer */
static napi_value js_token_issue(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  uint8_t secret[32];
  uint32_t epoch = 0, scope = 0;
  char *log_id = NULL;
  if (!get_secret(env, argv[0], "secret", secret) || !get_u32(env, argv[2], "epoch", &epoch) ||
      !get_scope(env, argv[3], "scope", &scope) || !get_name(env, argv[1], "logId", &log_id)) {
    return NULL;
  }
  weft_buf buf = {NULL, 0};
  int32_t st = weft_token_issue(&buf, secret, log_id, epoch, scope);
  if (st != WEFT_OK) throw_last(env, st);
  free(log_id);
  if (st != WEFT_OK) return NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value make_grant(napi_env env, uint32_t epoch, uint32_t scope) {
  napi_value obj, x;
  CALL(env, napi_create_object(env, &obj));
  if ((x = make_u32(env, epoch)) == NULL || !set_prop(env, obj, "epoch", x)) return NULL;
  if ((x = make_scope(env, scope)) == NULL || !set_prop(env, obj, "scope", x)) return NULL;
  return obj;
}

/* tokenVerify(secret, logId, currentEpoch, token, required) -> {epoch, scope} */
static napi_value js_token_verify(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  uint8_t secret[32];
  uint32_t epoch = 0, required = 0;
  Bytes token;
  char *log_id = NULL;
  if (!get_secret(env, argv[0], "secret", secret) || !get_u32(env, argv[2], "currentEpoch", &epoch) ||
      !get_bytes(env, argv[3], "token", false, &token) || !get_scope(env, argv[4], "required", &required) ||
      !get_name(env, argv[1], "logId", &log_id)) {
    return NULL;
  }
  weft_grant g;
  int32_t st = weft_token_verify(&g, secret, log_id, epoch, token.data, token.len, required);
  if (st != WEFT_OK) throw_last(env, st);
  free(log_id);
  return st == WEFT_OK ? make_grant(env, g.epoch, g.scope) : NULL;
}

typedef struct SessionArgs {
  weft_session_options opts;
  char *peer;
  char *log_id;
  Bytes token; /* borrowed from JS for the call: weft copies it */
} SessionArgs;

static void session_args_free(SessionArgs *o) {
  free(o->peer);
  free(o->log_id);
  o->peer = NULL;
  o->log_id = NULL;
}

/* {push, accept, maxBatchOps, maxBatchBytes, maxChunksBytes, window,
 * shipChunks, peer, logId, token, retryBaseMs, retryMaxMs,
 * retryMaxAttempts, retrySeed}; nullish: the defaults. */
static bool get_session_options(napi_env env, napi_value v, SessionArgs *o) {
  int32_t st = WEFT_INIT(weft_session_options_init, &o->opts);
  if (st != WEFT_OK) return throw_last(env, st);
  bool nullish;
  if (!is_nullish(env, v, &nullish)) return false;
  if (nullish) return true;
  napi_valuetype t;
  TRY(env, napi_typeof(env, v, &t));
  if (t != napi_object) return throw_type(env, "options must be an object");
  napi_value x;
  bool has, flag;
  static const struct {
    const char *key, *name;
    size_t offset;
  } flags[] = {
      {"push", "options.push", offsetof(weft_session_options, push)},
      {"accept", "options.accept", offsetof(weft_session_options, accept)},
      {"shipChunks", "options.shipChunks", offsetof(weft_session_options, ship_chunks)},
  }, u32s[] = {
      {"maxBatchOps", "options.maxBatchOps", offsetof(weft_session_options, max_batch_ops)},
      {"window", "options.window", offsetof(weft_session_options, window)},
      {"retryMaxAttempts", "options.retryMaxAttempts", offsetof(weft_session_options, retry_max_attempts)},
  }, u64s[] = {
      {"maxBatchBytes", "options.maxBatchBytes", offsetof(weft_session_options, max_batch_bytes)},
      {"maxChunksBytes", "options.maxChunksBytes", offsetof(weft_session_options, max_chunks_bytes)},
      {"retryBaseMs", "options.retryBaseMs", offsetof(weft_session_options, retry_base_ms)},
      {"retryMaxMs", "options.retryMaxMs", offsetof(weft_session_options, retry_max_ms)},
      {"retrySeed", "options.retrySeed", offsetof(weft_session_options, retry_seed)},
  };
  char *base = (char *)&o->opts;
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
    if (!get_prop(env, v, flags[i].key, &x, &has)) return false;
    if (!has) continue;
    if (!get_bool(env, x, flags[i].name, &flag)) return false;
    *(uint32_t *)(base + flags[i].offset) = flag ? 1 : 0;
  }
  for (size_t i = 0; i < sizeof u32s / sizeof u32s[0]; ++i) {
    if (!get_prop(env, v, u32s[i].key, &x, &has)) return false;
    if (has && !get_u32(env, x, u32s[i].name, (uint32_t *)(base + u32s[i].offset))) return false;
  }
  for (size_t i = 0; i < sizeof u64s / sizeof u64s[0]; ++i) {
    if (!get_prop(env, v, u64s[i].key, &x, &has)) return false;
    if (has && !get_u64(env, x, u64s[i].name, false, (uint64_t *)(base + u64s[i].offset))) return false;
  }
  if (!get_prop(env, v, "peer", &x, &has)) return false;
  if (has) {
    if (!get_name(env, x, "options.peer", &o->peer)) return false;
    o->opts.peer = o->peer;
  }
  if (!get_prop(env, v, "logId", &x, &has)) return false;
  if (has) {
    if (!get_name(env, x, "options.logId", &o->log_id)) return false;
    o->opts.log_id = o->log_id;
  }
  if (!get_prop(env, v, "token", &x, &has)) return false;
  if (has) {
    if (!get_bytes(env, x, "options.token", false, &o->token)) return false;
    o->opts.token = o->token.data;
    o->opts.token_len = o->token.len;
  }
  return true;
}

typedef int32_t (*SessionStartFn)(weft_session **out, weft_log *log, const weft_session_options *opts);

/* sessionConnect / sessionAccept(log, options) -> session handle */
static napi_value session_start(napi_env env, napi_callback_info info, SessionStartFn start) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_LOG, true);
  if (b == NULL) return NULL;
  SessionArgs o = {0};
  if (!get_session_options(env, argv[1], &o)) {
    session_args_free(&o);
    return NULL;
  }
  weft_session *s = NULL;
  int32_t st = start(&s, (weft_log *)b->ptr, &o.opts);
  if (st != WEFT_OK) throw_last(env, st);
  session_args_free(&o);
  if (st != WEFT_OK) return NULL;
  /* The C session keeps the log, hence its adapter, alive. */
  if (b->kv != NULL) b->kv->refs++;
  return wrap_handle(env, KIND_SESSION, s, NULL, b->kv);
}

static napi_value js_session_connect(napi_env env, napi_callback_info info) {
  return session_start(env, info, weft_session_connect);
}

static napi_value js_session_accept(napi_env env, napi_callback_info info) {
  return session_start(env, info, weft_session_accept);
}

/* sessionNextMessage(session) -> Buffer, or null when there is nothing to send now */
static napi_value js_session_next_message(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_SESSION, true);
  if (b == NULL) return NULL;
  weft_buf buf = {NULL, 0};
  uint32_t has = 0;
  int32_t st = weft_session_next_message(&buf, &has, (weft_session *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  if (!has) {
    napi_value null;
    CALL(env, napi_get_null(env, &null));
    return null;
  }
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

static napi_value js_session_receive(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_SESSION, true);
  Bytes bytes;
  if (b == NULL || !get_bytes(env, argv[1], "message", false, &bytes)) return NULL;
  int32_t st = weft_session_receive((weft_session *)b->ptr, bytes.data, bytes.len);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return undefined(env);
}

static napi_value js_session_tick(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_SESSION, true);
  uint64_t now = 0;
  if (b == NULL || !get_u64(env, argv[1], "nowMs", false, &now)) return NULL;
  int32_t st = weft_session_tick((weft_session *)b->ptr, now);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  return undefined(env);
}

/* sessionInfo(session) -> {state, error (WeftError or null), counters...} */
static napi_value js_session_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_SESSION, true);
  if (b == NULL) return NULL;
  weft_session_info si;
  const char *why = NULL;
  int32_t st = weft_session_get_info(&si, &why, (const weft_session *)b->ptr);
  if (st != WEFT_OK) return throw_last(env, st), NULL;
  static const char *const states[] = {"handshake", "syncing", "done", "failed"};
  napi_value obj, x;
  CALL(env, napi_create_object(env, &obj));
  x = si.state < sizeof states / sizeof states[0] ? make_string(env, states[si.state]) : make_u32(env, si.state);
  if (x == NULL || !set_prop(env, obj, "state", x)) return NULL;
  if (si.error_code != WEFT_OK) {
    /* `why` lives until the next call on the session: used at once. */
    x = new_weft_error(env, si.error_code, why != NULL ? why : "");
  } else {
    CALL(env, napi_get_null(env, &x));
  }
  if (x == NULL || !set_prop(env, obj, "error", x)) return NULL;
  const struct {
    const char *name;
    uint64_t value;
  } counters[] = {
      {"messagesSent", si.messages_sent},   {"bytesSent", si.bytes_sent},
      {"messagesReceived", si.messages_received}, {"bytesReceived", si.bytes_received},
      {"batchesSent", si.batches_sent},     {"chunksSent", si.chunks_sent},
      {"opsSent", si.ops_sent},             {"resends", si.resends},
      {"staleAcks", si.stale_acks},         {"applied", si.applied},
      {"duplicates", si.duplicates},        {"rejected", si.rejected},
      {"peerApplied", si.peer_applied},     {"peerDuplicates", si.peer_duplicates},
      {"peerRejected", si.peer_rejected},   {"opsToSend", si.ops_to_send},
      {"opsAcked", si.ops_acked},           {"ackedCursor", si.acked_cursor},
  };
  for (size_t i = 0; i < sizeof counters / sizeof counters[0]; ++i) {
    if (!set_u64(env, obj, counters[i].name, counters[i].value)) return NULL;
  }
  return obj;
}

/* sessionClose(session) / hostClose(host) */
static napi_value close_box(napi_env env, napi_callback_info info, enum Kind kind) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Box *b = get_box(env, argv[0], kind, false);
  if (b == NULL) return NULL;
  b->closed = true;
  box_settle(b);
  return undefined(env);
}

static napi_value js_session_close(napi_env env, napi_callback_info info) {
  return close_box(env, info, KIND_SESSION);
}

/* hostNew(masterKey, directory?) -> host handle */
static napi_value js_host_new(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  uint8_t key[32];
  char *dir = NULL;
  bool nullish;
  if (!get_secret(env, argv[0], "masterKey", key) || !is_nullish(env, argv[1], &nullish) ||
      (!nullish && !get_name(env, argv[1], "directory", &dir))) {
    return NULL;
  }
  weft_host *host = NULL;
  int32_t st = weft_host_new(&host, key, dir);
  if (st != WEFT_OK) throw_last(env, st);
  free(dir);
  return st == WEFT_OK ? wrap_handle(env, KIND_HOST, host, NULL, NULL) : NULL;
}

static napi_value js_host_close(napi_env env, napi_callback_info info) {
  return close_box(env, info, KIND_HOST);
}

/* hostIssue(host, logId, scope) -> Buffer */
static napi_value js_host_issue(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_HOST, true);
  uint32_t scope = 0;
  char *log_id = NULL;
  if (b == NULL || !get_scope(env, argv[2], "scope", &scope) || !get_name(env, argv[1], "logId", &log_id)) return NULL;
  weft_buf buf = {NULL, 0};
  int32_t st = weft_host_issue(&buf, (weft_host *)b->ptr, log_id, scope);
  if (st != WEFT_OK) throw_last(env, st);
  free(log_id);
  if (st != WEFT_OK) return NULL;
  napi_value out = make_buffer(env, buf.data, buf.len);
  weft_buf_free(&buf);
  return out;
}

/* hostRedeem(host, logId, token) -> {epoch, scope, cursor, ops, actors, digest} */
static napi_value js_host_redeem(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_HOST, true);
  Bytes token;
  char *log_id = NULL;
  if (b == NULL || !get_bytes(env, argv[2], "token", false, &token) || !get_name(env, argv[1], "logId", &log_id)) {
    return NULL;
  }
  weft_redeem_info ri;
  int32_t st = weft_host_redeem(&ri, (weft_host *)b->ptr, log_id, token.data, token.len);
  if (st != WEFT_OK) throw_last(env, st);
  free(log_id);
  if (st != WEFT_OK) return NULL;
  napi_value obj = make_grant(env, ri.epoch, ri.scope), x;
  if (obj == NULL) return NULL;
  if (!set_u64(env, obj, "cursor", ri.cursor) || !set_u64(env, obj, "ops", ri.ops) ||
      !set_u64(env, obj, "actors", ri.actors)) {
    return NULL;
  }
  if ((x = make_buffer(env, ri.digest.bytes, sizeof ri.digest.bytes)) == NULL || !set_prop(env, obj, "digest", x)) {
    return NULL;
  }
  return obj;
}

/* hostRevoke(host, logId) -> the new epoch */
static napi_value js_host_revoke(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_HOST, true);
  char *log_id = NULL;
  if (b == NULL || !get_name(env, argv[1], "logId", &log_id)) return NULL;
  uint32_t epoch = 0;
  int32_t st = weft_host_revoke(&epoch, (weft_host *)b->ptr, log_id);
  if (st != WEFT_OK) throw_last(env, st);
  free(log_id);
  return st == WEFT_OK ? make_u32(env, epoch) : NULL;
}

/* hostAccept(host, options) -> session handle */
static napi_value js_host_accept(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  Box *b = get_box(env, argv[0], KIND_HOST, true);
  if (b == NULL) return NULL;
  SessionArgs o = {0};
  if (!get_session_options(env, argv[1], &o)) {
    session_args_free(&o);
    return NULL;
  }
  weft_session *s = NULL;
  int32_t st = weft_host_accept(&s, (weft_host *)b->ptr, &o.opts);
  if (st != WEFT_OK) throw_last(env, st);
  session_args_free(&o);
  return st == WEFT_OK ? wrap_handle(env, KIND_SESSION, s, NULL, NULL) : NULL;
}

/* ------------------------------------------------------------- init */

static bool version_compatible(uint32_t runtime) {
  uint32_t major = runtime / 10000, minor = runtime / 100 % 100;
  if (major != WEFT_VERSION_MAJOR) return false;
  /* 0.x: every minor may break; from 1.0 a newer minor only adds symbols. */
  if (major == 0) return minor == WEFT_VERSION_MINOR && runtime >= WEFT_VERSION_NUMBER;
  return runtime >= WEFT_VERSION_NUMBER;
}

NAPI_MODULE_INIT() {
  uint32_t runtime = weft_version_number();
  if (!version_compatible(runtime)) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "weft: the addon was built against weft %d.%d.%d (%d) but libweft %s (%u) was loaded",
             WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR, WEFT_VERSION_PATCH, WEFT_VERSION_NUMBER,
             weft_version_string(), runtime);
    cleanup_call(napi_throw_error(env, "ERR_WEFT_VERSION", msg), "napi_throw_error");
    return NULL;
  }

  Addon *a = (Addon *)calloc(1, sizeof *a);
  if (a == NULL) {
    cleanup_call(napi_throw_error(env, "ERR_WEFT_NOMEM", "weft: out of memory"), "napi_throw_error");
    return NULL;
  }
  a->refs = 1;
  if (!check(env, napi_set_instance_data(env, a, addon_finalize, NULL), "napi_set_instance_data")) {
    free(a);
    return NULL;
  }

  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"setErrorClass", js_set_error_class},
      {"statusName", js_status_name},
      {"statusRetryable", js_status_retryable},
      {"liveHandles", js_live_handles},
      {"logOpenMemory", js_log_open_memory},
      {"logOpenSqlite", js_log_open_sqlite},
      {"logOpenSqliteAsync", js_log_open_sqlite_async},
      {"logClose", js_log_close},
      {"logActor", js_log_actor},
      {"logCursor", js_log_cursor},
      {"logEpoch", js_log_epoch},
      {"logSetEpoch", js_log_set_epoch},
      {"logAppend", js_log_append},
      {"logAppendMany", js_log_append_many},
      {"logApply", js_log_apply},
      {"logApplyAsync", js_log_apply_async},
      {"logRead", js_log_read},
      {"iterNext", js_iter_next},
      {"iterClose", js_iter_close},
      {"logGet", js_log_get},
      {"logHeads", js_log_heads},
      {"logCanonicalOrder", js_log_canonical_order},
      {"logVersionVector", js_log_version_vector},
      {"logDiff", js_log_diff},
      {"logDiffAsync", js_log_diff_async},
      {"logMerge", js_log_merge},
      {"logMergeAsync", js_log_merge_async},
      {"logDigest", js_log_digest},
      {"logSeal", js_log_seal},
      {"logSealAsync", js_log_seal_async},
      {"logChunkGet", js_log_chunk_get},
      {"logChunkPut", js_log_chunk_put},
      {"logVerify", js_log_verify},
      {"logVerifyAsync", js_log_verify_async},
      {"chunkVerify", js_chunk_verify},
      {"builderNew", js_builder_new},
      {"builderSetHeader", js_builder_set_header},
      {"builderAddOp", js_builder_add_op},
      {"builderFinish", js_builder_finish},
      {"builderFree", js_builder_free},
      {"batchDecode", js_batch_decode},
      {"chunkDecode", js_chunk_decode},
      {"ackDecode", js_ack_decode},
      {"ackEncode", js_ack_encode},
      {"ackFree", js_ack_free},
      {"logOpenKv", js_log_open_kv},
      {"conformanceRun", js_conformance_run},
      {"logPeer", js_log_peer},
      {"logRecordPeer", js_log_record_peer},
      {"retryWaitMs", js_retry_wait_ms},
      {"secretNew", js_secret_new},
      {"tokenIssue", js_token_issue},
      {"tokenVerify", js_token_verify},
      {"sessionConnect", js_session_connect},
      {"sessionAccept", js_session_accept},
      {"sessionNextMessage", js_session_next_message},
      {"sessionReceive", js_session_receive},
      {"sessionTick", js_session_tick},
      {"sessionInfo", js_session_info},
      {"sessionClose", js_session_close},
      {"hostNew", js_host_new},
      {"hostClose", js_host_close},
      {"hostIssue", js_host_issue},
      {"hostRedeem", js_host_redeem},
      {"hostRevoke", js_host_revoke},
      {"hostAccept", js_host_accept},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; ++i) {
    napi_value f;
    CALL(env, napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f));
    CALL(env, napi_set_named_property(env, exports, fns[i].name, f));
  }

  napi_value x;
  if ((x = make_u32(env, WEFT_VERSION_NUMBER)) == NULL || !set_prop(env, exports, "headerVersionNumber", x)) return NULL;
  if ((x = make_u32(env, runtime)) == NULL || !set_prop(env, exports, "versionNumber", x)) return NULL;
  if ((x = make_string(env, weft_version_string())) == NULL || !set_prop(env, exports, "versionString", x)) return NULL;
  if ((x = make_u32(env, (uint32_t)WEFT_INTERNAL + 1)) == NULL || !set_prop(env, exports, "statusCount", x)) return NULL;
  return exports;
}
