// libFuzzer target: capability token verification on arbitrary bytes
// (docs/fuzzing.md, docs/capabilities.md). Whatever the bytes, verification
// answers one of its documented codes with a message, never accepts a token
// it did not issue under this secret, and accepts exactly what it issued.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "weft/token.hpp"

namespace {

const weft::Secret& secret() {
  static const weft::Secret s = [] {
    weft::Secret k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0x40 + i);
    return k;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  for (uint32_t current : {0u, 1u, 7u}) {
    for (auto required : {weft::Scope::kRead, weft::Scope::kAppend, weft::Scope::kAdmin}) {
      auto g = weft::verify_token(secret(), "fuzz-log", current, input, required);
      if (!g) {
        const weft::Code c = g.code();
        WEFT_FUZZ_CHECK(c == weft::Code::kMalformed || c == weft::Code::kPermissionDenied ||
                        c == weft::Code::kStaleEpoch);
        WEFT_FUZZ_CHECK(!g.error().message.empty());
        continue;
      }
      // Accepted: it must be exactly the token this secret issues for it.
      WEFT_FUZZ_CHECK(g->log_id == "fuzz-log" && g->epoch == current);
      WEFT_FUZZ_CHECK(static_cast<uint32_t>(g->scope) >= static_cast<uint32_t>(required));
      const auto again = weft::issue_token(secret(), g->log_id, g->epoch, g->scope);
      WEFT_FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
    }
  }
  return 0;
}
