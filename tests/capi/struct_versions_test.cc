// Versioned input structs (docs/c-api.md, "Versioning policy"): a caller
// built against an older header passes a smaller struct_size, and the
// library, whose struct has grown since, reads only what the caller has and
// gives every newer field its default. Exercised on a struct that grows
// here, with the very functions every weft_*_init and open use.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "capi/capi_internal.hpp"

namespace weft::capi {
namespace {

// Release N's layout, as an old caller compiled it...
struct OldLayout {
  uint32_t struct_size;
  uint32_t a;
  uint64_t b;
};
// ...and release N+1's, which appended `grown`.
struct Grown {
  uint32_t struct_size;
  uint32_t a;
  uint64_t b;
  uint64_t grown;
};
// Pinned as weft pins its own: the end of release N's last field.
constexpr size_t kGrownMin = offsetof(Grown, b) + sizeof(Grown::b);
static_assert(kGrownMin == sizeof(OldLayout));

Grown defaults() { return Grown{sizeof(Grown), 1, 2, 3}; }

TEST(StructVersions, AnOldCallerGetsDefaultsForTheFieldsItDoesNotKnow) {
  // The old caller's memory ends where its struct does: the library must not
  // read past it (the unit suite also runs under AddressSanitizer).
  auto* old = new OldLayout{sizeof(OldLayout), 10, 20};
  Grown out = defaults();
  EXPECT_EQ(adopt(*reinterpret_cast<const Grown*>(old), kGrownMin, out), nullptr);
  EXPECT_EQ(out.a, 10u);
  EXPECT_EQ(out.b, 20u);
  EXPECT_EQ(out.grown, 3u);  // the default
  EXPECT_EQ(out.struct_size, sizeof(Grown));
  delete old;
}

TEST(StructVersions, InitWritesOnlyWhatTheOldCallerHas) {
  unsigned char mem[sizeof(Grown) + 8];
  std::memset(mem, 0xAA, sizeof mem);
  ASSERT_EQ(init_struct(reinterpret_cast<Grown*>(mem), sizeof(OldLayout), kGrownMin, defaults()),
            WEFT_OK);
  OldLayout seen;
  std::memcpy(&seen, mem, sizeof seen);
  EXPECT_EQ(seen.struct_size, sizeof(OldLayout));
  EXPECT_EQ(seen.a, 1u);
  EXPECT_EQ(seen.b, 2u);
  for (size_t i = sizeof(OldLayout); i < sizeof mem; ++i) EXPECT_EQ(mem[i], 0xAA) << i;
}

TEST(StructVersions, SizesOutsideTheReleasedRangeAreRefused) {
  Grown in = defaults(), out = defaults();
  in.struct_size = kGrownMin - 1;  // older than any release
  EXPECT_NE(adopt(in, kGrownMin, out), nullptr);
  in.struct_size = sizeof(Grown) + 8;  // from a newer weft than this library
  EXPECT_NE(adopt(in, kGrownMin, out), nullptr);
  Grown g;
  EXPECT_EQ(init_struct(&g, kGrownMin - 1, kGrownMin, defaults()), WEFT_INVALID_ARGUMENT);
  EXPECT_EQ(init_struct(&g, sizeof(Grown) + 1, kGrownMin, defaults()), WEFT_INVALID_ARGUMENT);
}

// weft's own minimums are the ends of real fields, never a padded size.
TEST(StructVersions, EachMinimumEndsAField) {
  EXPECT_EQ(kLogOptionsMinSize,
            offsetof(weft_log_options, max_message_bytes) + sizeof(uint64_t));
  EXPECT_EQ(kSqliteOptionsMinSize, offsetof(weft_sqlite_options, log_name) + sizeof(const char*));
  EXPECT_EQ(kAppendRequestMinSize, offsetof(weft_append_request, deps_len) + sizeof(size_t));
  EXPECT_EQ(kSessionOptionsMinSize, offsetof(weft_session_options, retry_seed) + sizeof(uint64_t));
  weft_log_options o;
  EXPECT_EQ(weft_log_options_init(&o, kLogOptionsMinSize), WEFT_OK);
  EXPECT_EQ(weft_log_options_init(&o, kLogOptionsMinSize - 1), WEFT_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace weft::capi
