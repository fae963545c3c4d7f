// Capability tokens: docs/scenarios.md C at the token level (S23 to S27).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "weft/token.hpp"

namespace weft {
namespace {

class TokenTest : public ::testing::Test {
 protected:
  Secret secret = new_secret();
};

TEST_F(TokenTest, IssuedTokenVerifiesWithItsScope) {
  auto t = issue_token(secret, "session-42", 3, Scope::kAppend);
  auto g = verify_token(secret, "session-42", 3, t, Scope::kAppend);
  ASSERT_TRUE(g.is_ok()) << g.error().to_string();
  EXPECT_EQ(g->log_id, "session-42");
  EXPECT_EQ(g->epoch, 3u);
  EXPECT_EQ(g->scope, Scope::kAppend);
  // Wider scopes include narrower ones.
  EXPECT_TRUE(verify_token(secret, "session-42", 3, t, Scope::kRead).is_ok());
  EXPECT_EQ(issue_token(secret, "session-42", 3, Scope::kAppend), t);  // deterministic
}

TEST_F(TokenTest, S24ReadTokenCannotAppend) {
  auto t = issue_token(secret, "log", 0, Scope::kRead);
  EXPECT_TRUE(verify_token(secret, "log", 0, t, Scope::kRead).is_ok());
  auto r = verify_token(secret, "log", 0, t, Scope::kAppend);
  ASSERT_EQ(r.code(), Code::kPermissionDenied);
  EXPECT_NE(r.error().message.find("scope read"), std::string::npos);
  EXPECT_EQ(verify_token(secret, "log", 0, issue_token(secret, "log", 0, Scope::kAppend),
                         Scope::kAdmin).code(),
            Code::kPermissionDenied);
}

TEST_F(TokenTest, S23EpochNeverIssuedIsRefused) {
  auto t = issue_token(secret, "log", 9, Scope::kAdmin);
  EXPECT_EQ(verify_token(secret, "log", 4, t, Scope::kRead).code(), Code::kPermissionDenied);
}

TEST_F(TokenTest, S27RevocationCoversEveryOlderToken) {
  auto admin = issue_token(secret, "log", 1, Scope::kAdmin);
  auto read = issue_token(secret, "log", 1, Scope::kRead);
  for (const auto& t : {admin, read}) {
    auto r = verify_token(secret, "log", 2, t, Scope::kRead);
    ASSERT_EQ(r.code(), Code::kStaleEpoch);
    EXPECT_NE(r.error().message.find("revoked"), std::string::npos);
  }
}

TEST_F(TokenTest, S25EditedFieldsBreakTheMac) {
  auto t = issue_token(secret, "log", 1, Scope::kRead);
  // Find the scope field (value 1) and widen it to admin in place.
  int widened = 0;
  for (size_t i = 0; i + 3 < t.size(); ++i) {
    auto m = t;
    if (m[i] != 1 || m[i + 1] != 0 || m[i + 2] != 0 || m[i + 3] != 0) continue;
    m[i] = 3;
    auto r = verify_token(secret, "log", 1, m, Scope::kRead);
    EXPECT_FALSE(r.is_ok()) << "edit at " << i << " verified";
    ++widened;
  }
  EXPECT_GT(widened, 0);
  // Every single-bit flip anywhere is refused, and never crashes.
  for (size_t i = 0; i < t.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto m = t;
      m[i] ^= static_cast<uint8_t>(1 << bit);
      auto r = verify_token(secret, "log", 1, m, Scope::kRead);
      if (r.is_ok()) {
        // Only a flip inside unused padding can leave the token intact.
        EXPECT_EQ(r->scope, Scope::kRead);
        EXPECT_EQ(r->epoch, 1u);
      }
    }
  }
}

TEST_F(TokenTest, S26UnknownFieldIsRefusedFailClosed) {
  auto t = issue_token(secret, "log", 1, Scope::kRead);
  auto padded = t;
  padded.insert(padded.end(), 8, 0);  // trailing bytes verify, but are not canonical
  EXPECT_EQ(verify_token(secret, "log", 1, padded, Scope::kRead).code(), Code::kMalformed);
}

TEST_F(TokenTest, AnotherLogOrAnotherSecretIsRefused) {
  auto t = issue_token(secret, "log-a", 1, Scope::kRead);
  EXPECT_EQ(verify_token(secret, "log-b", 1, t, Scope::kRead).code(), Code::kPermissionDenied);
  auto r = verify_token(new_secret(), "log-a", 1, t, Scope::kRead);
  ASSERT_EQ(r.code(), Code::kPermissionDenied);
  EXPECT_NE(r.error().message.find("MAC"), std::string::npos);
}

TEST_F(TokenTest, GarbageIsMalformedAndSecretsNeverLeak) {
  std::vector<uint8_t> junk(40, 0x41);
  EXPECT_EQ(verify_token(secret, "log", 0, junk, Scope::kRead).code(), Code::kMalformed);
  EXPECT_EQ(verify_token(secret, "log", 0, {}, Scope::kRead).code(), Code::kMalformed);
  auto t = issue_token(secret, "log", 0, Scope::kRead);
  const std::string secret_hex = to_hex(secret);
  EXPECT_EQ(std::string(t.begin(), t.end()).find(std::string(secret.begin(), secret.end())),
            std::string::npos);
  for (auto code_case : {verify_token(secret, "x", 0, t, Scope::kRead),
                         verify_token(secret, "log", 5, t, Scope::kRead)}) {
    ASSERT_FALSE(code_case.is_ok());
    EXPECT_EQ(code_case.error().message.find(secret_hex), std::string::npos);
  }
  // A batch is a weft message but not a token.
  EXPECT_EQ(verify_token(secret, "log", 0, encode_batch(Batch{}), Scope::kRead).code(),
            Code::kMalformed);
}

}  // namespace
}  // namespace weft
