/*
 * Prints what the C compiler makes of weft/weft.h and weft/sys/weft_sys.h,
 * for tests/layout.rs to compare with the Rust declarations: one line per
 * struct or type (size, align), per field (offset, size), per constant, and
 * the answers of the function-like macro WEFT_VERSION_CHECK. Compiled and
 * run by build.rs.
 */
#include <stddef.h>
#include <stdio.h>

#include "weft/sys/weft_sys.h"
#include "weft/weft.h"

#define STRUCT(T) printf("struct %s %zu %zu\n", #T, sizeof(T), _Alignof(T))
#define FIELD(T, f) printf("field %s.%s %zu %zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
#define TYPE(T) printf("type %s %zu %zu\n", #T, sizeof(T), _Alignof(T))
#define CONST(c) printf("const %s %lld\n", #c, (long long)(c))
#define VERSION_CHECK(a, b, c) \
  printf("macro WEFT_VERSION_CHECK %d %d %d %d\n", a, b, c, (WEFT_VERSION_CHECK(a, b, c)) ? 1 : 0)

int main(void) {
  STRUCT(weft_error);
  FIELD(weft_error, code);
  FIELD(weft_error, reserved);
  FIELD(weft_error, message);
  FIELD(weft_error, message_len);

  STRUCT(weft_buf);
  FIELD(weft_buf, data);
  FIELD(weft_buf, len);

  STRUCT(weft_actor);
  FIELD(weft_actor, bytes);

  STRUCT(weft_op_id);
  FIELD(weft_op_id, actor);
  FIELD(weft_op_id, counter);

  STRUCT(weft_hash);
  FIELD(weft_hash, bytes);

  STRUCT(weft_seal);
  FIELD(weft_seal, actor);
  FIELD(weft_seal, index);
  FIELD(weft_seal, first);
  FIELD(weft_seal, last);
  FIELD(weft_seal, prev_digest);
  FIELD(weft_seal, digest);

  STRUCT(weft_op_view);
  FIELD(weft_op_view, id);
  FIELD(weft_op_view, lamport);
  FIELD(weft_op_view, cursor);
  FIELD(weft_op_view, timestamp_ms);
  FIELD(weft_op_view, kind);
  FIELD(weft_op_view, reserved);
  FIELD(weft_op_view, deps);
  FIELD(weft_op_view, deps_len);
  FIELD(weft_op_view, payload);
  FIELD(weft_op_view, payload_len);
  FIELD(weft_op_view, hash);

  STRUCT(weft_log_options);
  FIELD(weft_log_options, struct_size);
  FIELD(weft_log_options, has_actor);
  FIELD(weft_log_options, actor);
  FIELD(weft_log_options, auto_seal_ops);
  FIELD(weft_log_options, max_ops);
  FIELD(weft_log_options, max_payload_bytes);
  FIELD(weft_log_options, max_deps_per_op);
  FIELD(weft_log_options, max_actors);
  FIELD(weft_log_options, max_message_bytes);

  STRUCT(weft_sqlite_options);
  FIELD(weft_sqlite_options, struct_size);
  FIELD(weft_sqlite_options, synchronous_full);
  FIELD(weft_sqlite_options, busy_timeout_ms);
  FIELD(weft_sqlite_options, create);
  FIELD(weft_sqlite_options, special_names);
  FIELD(weft_sqlite_options, reserved);
  FIELD(weft_sqlite_options, log_name);

  STRUCT(weft_append_request);
  FIELD(weft_append_request, struct_size);
  FIELD(weft_append_request, kind);
  FIELD(weft_append_request, payload);
  FIELD(weft_append_request, payload_len);
  FIELD(weft_append_request, has_timestamp);
  FIELD(weft_append_request, has_deps);
  FIELD(weft_append_request, timestamp_ms);
  FIELD(weft_append_request, deps);
  FIELD(weft_append_request, deps_len);

  STRUCT(weft_ack_info);
  FIELD(weft_ack_info, batch_id);
  FIELD(weft_ack_info, seq);
  FIELD(weft_ack_info, status);
  FIELD(weft_ack_info, reserved);
  FIELD(weft_ack_info, cursor);

  STRUCT(weft_batch_info);
  FIELD(weft_batch_info, batch_id);
  FIELD(weft_batch_info, seq);
  FIELD(weft_batch_info, has_expected_cursor);
  FIELD(weft_batch_info, epoch);
  FIELD(weft_batch_info, expected_cursor);

  STRUCT(weft_peer_state);
  FIELD(weft_peer_state, acked_cursor);
  FIELD(weft_peer_state, attempts);
  FIELD(weft_peer_state, reserved);
  FIELD(weft_peer_state, next_attempt_ms);

  STRUCT(weft_grant);
  FIELD(weft_grant, epoch);
  FIELD(weft_grant, scope);

  STRUCT(weft_session_options);
  FIELD(weft_session_options, struct_size);
  FIELD(weft_session_options, push);
  FIELD(weft_session_options, accept);
  FIELD(weft_session_options, max_batch_ops);
  FIELD(weft_session_options, max_batch_bytes);
  FIELD(weft_session_options, max_chunks_bytes);
  FIELD(weft_session_options, window);
  FIELD(weft_session_options, ship_chunks);
  FIELD(weft_session_options, peer);
  FIELD(weft_session_options, log_id);
  FIELD(weft_session_options, token);
  FIELD(weft_session_options, token_len);
  FIELD(weft_session_options, retry_base_ms);
  FIELD(weft_session_options, retry_max_ms);
  FIELD(weft_session_options, retry_max_attempts);
  FIELD(weft_session_options, reserved);
  FIELD(weft_session_options, retry_seed);

  STRUCT(weft_session_info);
  FIELD(weft_session_info, state);
  FIELD(weft_session_info, error_code);
  FIELD(weft_session_info, messages_sent);
  FIELD(weft_session_info, bytes_sent);
  FIELD(weft_session_info, messages_received);
  FIELD(weft_session_info, bytes_received);
  FIELD(weft_session_info, batches_sent);
  FIELD(weft_session_info, chunks_sent);
  FIELD(weft_session_info, ops_sent);
  FIELD(weft_session_info, resends);
  FIELD(weft_session_info, stale_acks);
  FIELD(weft_session_info, applied);
  FIELD(weft_session_info, duplicates);
  FIELD(weft_session_info, rejected);
  FIELD(weft_session_info, peer_applied);
  FIELD(weft_session_info, peer_duplicates);
  FIELD(weft_session_info, peer_rejected);
  FIELD(weft_session_info, ops_to_send);
  FIELD(weft_session_info, ops_acked);
  FIELD(weft_session_info, acked_cursor);

  STRUCT(weft_redeem_info);
  FIELD(weft_redeem_info, epoch);
  FIELD(weft_redeem_info, scope);
  FIELD(weft_redeem_info, cursor);
  FIELD(weft_redeem_info, ops);
  FIELD(weft_redeem_info, actors);
  FIELD(weft_redeem_info, digest);

  /* weft/sys/weft_sys.h */
  STRUCT(weft_op_fields);
  FIELD(weft_op_fields, struct_size);
  FIELD(weft_op_fields, kind);
  FIELD(weft_op_fields, id);
  FIELD(weft_op_fields, lamport);
  FIELD(weft_op_fields, timestamp_ms);
  FIELD(weft_op_fields, deps);
  FIELD(weft_op_fields, deps_len);
  FIELD(weft_op_fields, payload);
  FIELD(weft_op_fields, payload_len);

  STRUCT(weft_kv_store);
  FIELD(weft_kv_store, struct_size);
  FIELD(weft_kv_store, concurrent);
  FIELD(weft_kv_store, user_data);
  FIELD(weft_kv_store, create);
  FIELD(weft_kv_store, destroy);
  FIELD(weft_kv_store, connect);
  FIELD(weft_kv_store, disconnect);
  FIELD(weft_kv_store, begin);
  FIELD(weft_kv_store, commit);
  FIELD(weft_kv_store, rollback);
  FIELD(weft_kv_store, put);
  FIELD(weft_kv_store, get);
  FIELD(weft_kv_store, scan);

  STRUCT(weft_conformance_result);
  FIELD(weft_conformance_result, scenario);
  FIELD(weft_conformance_result, outcome);
  FIELD(weft_conformance_result, reserved);
  FIELD(weft_conformance_result, diagnostic);

  /* Enum storage, function pointer types, and every constant. */
  TYPE(weft_status_code);
  TYPE(weft_conformance_outcome);
  TYPE(weft_kv_row_fn);
  TYPE(weft_scope);
  TYPE(weft_session_state);
  CONST(WEFT_VERSION_MAJOR);
  CONST(WEFT_VERSION_MINOR);
  CONST(WEFT_VERSION_PATCH);
  CONST(WEFT_VERSION_NUMBER);
  CONST(WEFT_OK);
  CONST(WEFT_INVALID_ARGUMENT);
  CONST(WEFT_MALFORMED);
  CONST(WEFT_UNSUPPORTED_VERSION);
  CONST(WEFT_CHECKSUM_MISMATCH);
  CONST(WEFT_IMMUTABLE_VIOLATION);
  CONST(WEFT_NOT_CONTIGUOUS);
  CONST(WEFT_MISSING_DEPENDENCY);
  CONST(WEFT_CONFLICT);
  CONST(WEFT_CURSOR_MISMATCH);
  CONST(WEFT_STALE_EPOCH);
  CONST(WEFT_PERMISSION_DENIED);
  CONST(WEFT_NOT_FOUND);
  CONST(WEFT_CANCELLED);
  CONST(WEFT_TIMEOUT);
  CONST(WEFT_BUSY);
  CONST(WEFT_IO_ERROR);
  CONST(WEFT_CORRUPT);
  CONST(WEFT_RESOURCE_EXHAUSTED);
  CONST(WEFT_INTERNAL);
  CONST(WEFT_CONFORMANCE_PASS);
  CONST(WEFT_CONFORMANCE_FAIL);
  CONST(WEFT_CONFORMANCE_SKIP);
  CONST(WEFT_SCOPE_READ);
  CONST(WEFT_SCOPE_APPEND);
  CONST(WEFT_SCOPE_ADMIN);
  CONST(WEFT_SESSION_HANDSHAKE);
  CONST(WEFT_SESSION_SYNCING);
  CONST(WEFT_SESSION_DONE);
  CONST(WEFT_SESSION_FAILED);
  VERSION_CHECK(0, 0, 0);
  VERSION_CHECK(0, 2, 99);
  VERSION_CHECK(0, 3, 0);
  VERSION_CHECK(0, 3, 1);
  VERSION_CHECK(0, 4, 0);
  VERSION_CHECK(1, 0, 0);
  return 0;
}
