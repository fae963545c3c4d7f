#include <gtest/gtest.h>

#include <set>

#include "weft/status.hpp"

namespace weft {
namespace {

TEST(Status, EveryCodeHasAUniqueStableName) {
  std::set<std::string_view> names;
  for (uint32_t i = 0; i < kCodeCount; ++i) {
    auto name = code_name(static_cast<Code>(i));
    EXPECT_NE(name, "UNKNOWN") << i;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(code_name(Code::kOk), "OK");
  EXPECT_EQ(code_name(Code::kStaleEpoch), "STALE_EPOCH");
  EXPECT_EQ(code_name(Code::kInternal), "INTERNAL");
  EXPECT_EQ(code_name(static_cast<Code>(kCodeCount)), "UNKNOWN");
}

TEST(Status, NumericValuesArePinned) {
  // Published in the C ABI: these numbers never change.
  EXPECT_EQ(static_cast<uint32_t>(Code::kMalformed), 2u);
  EXPECT_EQ(static_cast<uint32_t>(Code::kConflict), 8u);
  EXPECT_EQ(static_cast<uint32_t>(Code::kCursorMismatch), 9u);
  EXPECT_EQ(static_cast<uint32_t>(Code::kStaleEpoch), 10u);
  EXPECT_EQ(static_cast<uint32_t>(Code::kCorrupt), 17u);
  EXPECT_EQ(static_cast<uint32_t>(Code::kInternal), 19u);
}

TEST(Status, RetryableClassification) {
  EXPECT_TRUE(code_retryable(Code::kBusy));
  EXPECT_TRUE(code_retryable(Code::kTimeout));
  EXPECT_TRUE(code_retryable(Code::kIoError));
  EXPECT_TRUE(code_retryable(Code::kMissingDependency));
  EXPECT_FALSE(code_retryable(Code::kOk));
  EXPECT_FALSE(code_retryable(Code::kMalformed));
  EXPECT_FALSE(code_retryable(Code::kConflict));
  EXPECT_FALSE(code_retryable(Code::kStaleEpoch));
  EXPECT_FALSE(code_retryable(Code::kCorrupt));
  EXPECT_FALSE(code_retryable(static_cast<Code>(99)));
}

TEST(Status, MessagesAreOneLine) {
  // SQLite's integrity report is several lines; an error message never is.
  Error e = make_error(Code::kCorrupt, "sqlite: integrity check: *** in database main ***\r\n"
                                       "Page 5: btreeInitPage() returns error code 11\n\tend\x01");
  EXPECT_EQ(e.message,
            "sqlite: integrity check: *** in database main ***; Page 5: btreeInitPage() returns "
            "error code 11;  end ");
  EXPECT_EQ(make_error(Code::kCorrupt, "plain").message, "plain");
}

TEST(Status, ResultCarriesValueOrError) {
  Result<int> ok = 5;
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 5);
  EXPECT_EQ(ok.code(), Code::kOk);
  Result<int> bad = make_error(Code::kNotFound, "op x:1 is not here");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.code(), Code::kNotFound);
  EXPECT_EQ(bad.error().to_string(), "NOT_FOUND: op x:1 is not here");
  EXPECT_FALSE(bad.status().is_ok());
}

}  // namespace
}  // namespace weft
