// The C ABI's key-value adapters and conformance kit (weft.h, "key-value
// store adapters"): C callback tables adapted to weft::KvConnection.
#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>

#include "capi/capi_internal.hpp"
#include "weft/conformance.hpp"
#include "weft/kv_store.hpp"

namespace weft::capi {

weft_kv_store kv_store_defaults() {
  weft_kv_store t;
  std::memset(&t, 0, sizeof t);
  t.struct_size = sizeof(weft_kv_store);
  return t;
}

// The table with defaults for fields an older caller does not know, if it
// has every callback a connection needs (and, for the kit, create/destroy).
std::optional<weft_kv_store> table_of(const weft_kv_store* given, bool need_create) {
  if (given == nullptr) return std::nullopt;
  weft_kv_store t = kv_store_defaults();
  if (adopt(*given, kKvStoreMinSize, t) != nullptr) return std::nullopt;
  const bool ok = t.connect && t.disconnect && t.begin && t.commit && t.rollback && t.put &&
                  t.get && t.scan && (!need_create || (t.create && t.destroy));
  return ok ? std::optional<weft_kv_store>(t) : std::nullopt;
}

Status from_callback(int32_t rc, const char* what) {
  CallbackError& e = callback_error();
  const bool described = e.set && e.code == rc;
  e.set = false;  // a message is for the return that follows it, never a later one
  if (rc == WEFT_OK) return Status::ok();
  if (described) return make_error(static_cast<Code>(rc), std::string("kv adapter: ") + what + ": " + e.message);
  return make_error(static_cast<Code>(rc),
                    std::string("kv adapter: ") + what + " returned " + std::to_string(rc));
}

namespace {

class CKvConnection final : public KvConnection {
 public:
  CKvConnection(const weft_kv_store& t, void* conn) : t_(t), conn_(conn) {}
  ~CKvConnection() override { t_.disconnect(conn_, t_.user_data); }

  Status begin() override { return from_callback(t_.begin(conn_, t_.user_data), "begin"); }
  Status commit() override { return from_callback(t_.commit(conn_, t_.user_data), "commit"); }
  Status rollback() override {
    return from_callback(t_.rollback(conn_, t_.user_data), "rollback");
  }
  Status put(std::span<const uint8_t> k, std::span<const uint8_t> v) override {
    return from_callback(t_.put(conn_, k.data(), k.size(), v.data(), v.size(), t_.user_data),
                         "put");
  }
  // The row functions weft hands to an adapter never unwind through the
  // adapter's frames (they may be Rust or Swift): an exception is caught,
  // the row answers nonzero, and it is rethrown once the adapter returned.
  Result<std::optional<std::vector<uint8_t>>> get(std::span<const uint8_t> k) override {
    struct Ctx {
      std::optional<std::vector<uint8_t>> value;
      std::exception_ptr error;
    } ctx;
    auto row = [](const uint8_t*, size_t, const uint8_t* v, size_t n, void* c) -> int32_t {
      auto* x = static_cast<Ctx*>(c);
      try {
        x->value.emplace(v, v + n);
        return 0;
      } catch (...) {
        x->error = std::current_exception();
        return 1;
      }
    };
    const int32_t rc = t_.get(conn_, k.data(), k.size(), row, &ctx, t_.user_data);
    if (ctx.error) std::rethrow_exception(ctx.error);
    WEFT_TRY(from_callback(rc, "get"));
    return std::move(ctx.value);
  }
  Status scan(std::span<const uint8_t> from, std::span<const uint8_t> to, size_t limit,
              const std::function<bool(std::span<const uint8_t>, std::span<const uint8_t>)>& row)
      override {
    struct Ctx {
      const std::function<bool(std::span<const uint8_t>, std::span<const uint8_t>)>* row;
      std::exception_ptr error;
    } ctx{&row, nullptr};
    auto trampoline = [](const uint8_t* k, size_t kn, const uint8_t* v, size_t vn,
                         void* c) -> int32_t {
      auto* x = static_cast<Ctx*>(c);
      try {
        return (*x->row)({k, kn}, {v, vn}) ? 0 : 1;
      } catch (...) {
        x->error = std::current_exception();
        return 1;
      }
    };
    const int32_t rc = t_.scan(conn_, from.data(), from.size(), to.data(), to.size(),
                               static_cast<uint64_t>(limit), trampoline, &ctx, t_.user_data);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return from_callback(rc, "scan");
  }

 private:
  weft_kv_store t_;
  void* conn_;
};

Result<std::unique_ptr<KvConnection>> connect(const weft_kv_store& t, void* db) {
  void* conn = nullptr;
  WEFT_TRY(from_callback(t.connect(db, &conn, t.user_data), "connect"));
  return std::unique_ptr<KvConnection>(std::make_unique<CKvConnection>(t, conn));
}

// A fresh database of a C adapter, as the conformance kit wants it.
class CKvBackend final : public conformance::Backend {
 public:
  CKvBackend(const weft_kv_store& t, void* db) : t_(t), db_(db) {}
  ~CKvBackend() override { t_.destroy(db_, t_.user_data); }

  Result<std::unique_ptr<LogStore>> open() override {
    auto c = connect(t_, db_);
    WEFT_TRY(c);
    return make_kv_log_store(std::move(c.value()));
  }
  Status corrupt_chunk(const ActorId& actor, uint64_t index) override {
    auto c = connect(t_, db_);
    WEFT_TRY(c);
    return kv_corrupt_chunk(*c.value(), actor, index);
  }
  bool concurrent_handles() const override { return t_.concurrent != 0; }

 private:
  weft_kv_store t_;
  void* db_;
};

}  // namespace

Result<std::unique_ptr<LogStore>> open_kv_store(const weft_kv_store* given, void* db) {
  auto t = table_of(given, /*need_create=*/false);
  if (!t) {
    return make_error(Code::kInvalidArgument,
                      "weft_kv_store: bad struct_size or a missing connection callback (call "
                      "weft_kv_store_init, then set connect, disconnect, begin, commit, "
                      "rollback, put, get and scan)");
  }
  auto c = connect(*t, db);
  WEFT_TRY(c);
  return make_kv_log_store(std::move(c.value()));
}

}  // namespace weft::capi

struct weft_conformance {
  uint32_t tag = weft::capi::kConformanceTag;
  std::vector<weft::conformance::ScenarioResult> results;
};

extern "C" {

int32_t weft_kv_store_init(weft_kv_store* store, size_t struct_size) {
  return weft::capi::init_struct(store, struct_size, weft::capi::kKvStoreMinSize,
                                 weft::capi::kv_store_defaults());
}

int32_t weft_conformance_run(weft_conformance** out, const weft_kv_store* store,
                             const char* only) {
  using namespace weft;
  return capi::guard([&]() -> int32_t {
    if (out) *out = nullptr;
    auto checked = capi::table_of(store, /*need_create=*/true);
    if (out == nullptr || !checked) {
      return capi::invalid("NULL argument, bad struct_size or a missing callback");
    }
    std::string name = only ? only : "";
    if (!name.empty()) {
      auto all = conformance::scenarios();
      if (std::find(all.begin(), all.end(), name) == all.end()) {
        return capi::invalid(("no conformance scenario named '" + name + "'").c_str());
      }
    }
    const weft_kv_store table = *checked;
    auto factory = [table]() -> Result<std::unique_ptr<conformance::Backend>> {
      void* db = nullptr;
      WEFT_TRY(capi::from_callback(table.create(&db, table.user_data), "create"));
      return std::unique_ptr<conformance::Backend>(
          std::make_unique<capi::CKvBackend>(table, db));
    };
    auto* h = new weft_conformance;
    h->results = conformance::run(factory, name);
    *out = h;
    return WEFT_OK;
  });
}

size_t weft_conformance_count(const weft_conformance* results) {
  return weft::capi::alive(results, weft::capi::kConformanceTag) ? results->results.size() : 0;
}

int32_t weft_conformance_at(weft_conformance_result* out, const weft_conformance* results,
                            size_t index) {
  using namespace weft;
  return capi::guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!capi::alive(results, capi::kConformanceTag) || out == nullptr) {
      return capi::invalid("NULL argument");
    }
    if (index >= results->results.size()) return capi::invalid("index out of range");
    const auto& r = results->results[index];
    out->scenario = r.scenario.c_str();
    out->outcome = static_cast<int32_t>(r.outcome);
    out->diagnostic = r.diagnostic.c_str();
    return WEFT_OK;
  });
}

void weft_conformance_free(weft_conformance* results) {
  weft::capi::release(results, weft::capi::kConformanceTag);
}

}  // extern "C"
