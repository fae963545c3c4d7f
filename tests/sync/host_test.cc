// The host: capabilities at the session level (docs/scenarios.md C: S19 to S27,
// S65) and the in-transaction epoch check across connections (S21).
#include <gtest/gtest.h>

#include <filesystem>

#include "sync_util.hpp"
#include "weft/sqlite_store.hpp"

namespace weft {
namespace {

using namespace weft::testing;

constexpr std::string_view kId = "agent-session";

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master.fill(7);
    server_root = make_memory_store();
    host = std::make_unique<Host>(master, [this](std::string_view id) -> Result<std::unique_ptr<Log>> {
      if (id != kId) return make_error(Code::kNotFound, "no log " + std::string(id));
      LogOptions o;
      o.actor = actor(100);
      return Log::open(memory_store_share(*server_root).value(), o);
    });
    server = host->log(kId).value();
    append_n(*server, 5, "server");
    client = memory_log(1);
    append_n(*client, 4, "client");
  }

  std::unique_ptr<Session> client_session(Bytes token) {
    SessionOptions o;
    o.peer = "host";
    o.log_id = std::string(kId);
    o.token = std::move(token);
    auto s = Session::connect(*client, o);
    EXPECT_TRUE(s.is_ok());
    return std::move(s.value());
  }

  std::unique_ptr<Session> host_session() {
    auto s = host->accept();
    EXPECT_TRUE(s.is_ok());
    return std::move(s.value());
  }

  Secret master;
  std::unique_ptr<LogStore> server_root;
  std::unique_ptr<Host> host;
  Log* server = nullptr;
  std::unique_ptr<Log> client;
};

TEST_F(HostTest, AppendTokenSyncsBothWaysAndRedeemDescribesTheLog) {
  auto token = host->issue(kId, Scope::kAppend).value();
  auto redeemed = host->redeem(kId, token);
  ASSERT_TRUE(redeemed.is_ok()) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->grant.scope, Scope::kAppend);
  EXPECT_EQ(redeemed->grant.epoch, 0u);
  EXPECT_EQ(redeemed->cursor, 5u);
  EXPECT_EQ(redeemed->ops, 5u);
  auto c = client_session(token);
  auto h = host_session();
  pump(*c, *h);
  ASSERT_TRUE(c->done()) << c->error().to_string();
  ASSERT_TRUE(h->done()) << h->error().to_string();
  EXPECT_EQ(server->cursor(), 9u);
  EXPECT_EQ(client->cursor(), 9u);
  EXPECT_EQ(server->digest().value(), client->digest().value());
  EXPECT_EQ(host->redeem(kId, token)->digest, client->digest().value());
}

TEST_F(HostTest, S24ReadTokenPullsButCannotPush) {
  auto token = host->issue(kId, Scope::kRead).value();
  auto c = client_session(token);
  auto h = host_session();
  pump(*c, *h);
  ASSERT_TRUE(c->done()) << c->error().to_string();
  EXPECT_EQ(client->cursor(), 9u);  // the read succeeded
  EXPECT_EQ(server->cursor(), 5u);  // nothing of the client's was applied
  EXPECT_EQ(c->stats().batches_sent, 0u);
  // A client that pushes anyway is refused, and nothing is applied.
  Batch b = all_ops(*client);
  b.epoch = 0;
  EXPECT_EQ(h->receive(encode_batch(b)).code(), Code::kPermissionDenied);
  EXPECT_EQ(server->cursor(), 5u);
  auto err = h->next_message();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(decode_error(*err)->error.code, Code::kPermissionDenied);
}

TEST_F(HostTest, S25S26TamperedOrUnknownTokensAreRefusedAtHello) {
  auto token = host->issue(kId, Scope::kRead).value();
  for (size_t i = 0; i < token.size(); i += 7) {
    Bytes bad = token;
    bad[i] ^= 0x01;
    auto c = client_session(bad);
    auto h = host_session();
    pump(*c, *h);
    EXPECT_EQ(c->state(), SessionState::kFailed) << "byte " << i;
    EXPECT_TRUE(c->error().code == Code::kPermissionDenied || c->error().code == Code::kMalformed)
        << "byte " << i << ": " << c->error().to_string();
    EXPECT_EQ(server->cursor(), 5u);
  }
  // No token, a token for another log, garbage: refused, the log untouched.
  for (Bytes bad : {Bytes{}, bytes("garbage"), issue_token(Secret{}, kId, 0, Scope::kAdmin)}) {
    auto c = client_session(bad);
    auto h = host_session();
    pump(*c, *h);
    EXPECT_EQ(h->state(), SessionState::kFailed);
    EXPECT_NE(h->error().code, Code::kOk);
  }
  EXPECT_EQ(server->cursor(), 5u);
  EXPECT_EQ(client->cursor(), 4u);
}

TEST_F(HostTest, S27S19RevokedTokenIsStaleAndRetryReportsDuplicates) {
  auto old_token = host->issue(kId, Scope::kAppend).value();
  {
    auto c = client_session(old_token);
    auto h = host_session();
    pump(*c, *h);
    ASSERT_TRUE(c->done());
  }
  EXPECT_EQ(host->revoke(kId).value(), 1u);
  EXPECT_EQ(server->epoch(), 1u);
  EXPECT_EQ(host->redeem(kId, old_token).code(), Code::kStaleEpoch);
  auto c = client_session(old_token);
  auto h = host_session();
  pump(*c, *h);
  EXPECT_EQ(c->error().code, Code::kStaleEpoch);
  // A fresh token: the ops applied before the bump are duplicates.
  Batch again = all_ops(*client);
  again.epoch = 1;
  auto ack = server->apply(again);
  ASSERT_TRUE(ack.is_ok());
  EXPECT_EQ(ack->duplicates.size(), 9u);
  auto c2 = client_session(host->issue(kId, Scope::kAppend).value());
  auto h2 = host_session();
  pump(*c2, *h2);
  ASSERT_TRUE(c2->done()) << c2->error().to_string();
}

TEST_F(HostTest, S20S65BatchInFlightAcrossARevokeIsRefusedWhole) {
  auto token = host->issue(kId, Scope::kAppend).value();
  auto c = client_session(token);
  auto h = host_session();
  ASSERT_TRUE(h->receive(*c->next_message()).is_ok());  // Hello
  ASSERT_TRUE(c->receive(*h->next_message()).is_ok());  // Hello back
  std::optional<Bytes> batch;
  while (auto m = c->next_message()) {
    if (is_kind(*m, MessageKind::kBatch)) batch = m;
  }
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE(host->revoke(kId).is_ok());  // meanwhile (the client was frozen, say)
  ASSERT_TRUE(h->receive(*batch).is_ok());
  EXPECT_EQ(server->cursor(), 5u);  // zero effects
  auto ack = h->next_message();
  ASSERT_TRUE(ack.has_value());
  auto decoded = decode_ack(*ack).value();
  EXPECT_EQ(decoded.status, Code::kStaleEpoch);
  EXPECT_TRUE(decoded.applied.empty() && decoded.duplicates.empty() && decoded.rejected.empty());
  EXPECT_EQ(c->receive(*ack).code(), Code::kStaleEpoch);
  EXPECT_EQ(c->state(), SessionState::kFailed);
}

TEST_F(HostTest, SecretsNeverAppearInMessagesOrErrors) {
  auto token = host->issue(kId, Scope::kAppend).value();
  auto c = client_session(token);
  auto h = host_session();
  std::vector<Bytes> seen;
  pump(*c, *h, [&](Way, const Bytes& m) {
    seen.push_back(m);
    return false;
  });
  // The per-log secret is derived from the master key; neither may leak.
  auto contains = [](const Bytes& hay, std::span<const uint8_t> needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
  };
  for (const Bytes& m : seen) EXPECT_FALSE(contains(m, master));
  auto bad = client_session(bytes("x"));
  auto hb = host_session();
  pump(*bad, *hb);
  EXPECT_EQ(hb->error().message.find(to_hex(master)), std::string::npos);
  EXPECT_EQ(host->log("").code(), Code::kInvalidArgument);
  EXPECT_EQ(host->issue("unknown", Scope::kRead).code(), Code::kNotFound);
}

TEST(HostSqlite, S21BumpOnAnotherConnectionIsSeenInsideTheApply) {
  auto dir = std::filesystem::temp_directory_path() / ("weft-s21-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "hosted.db").string();
  Secret master{};
  Host host(master, [&](std::string_view) { return open_sqlite_log(path); });
  Log* served = host.log("x").value();
  auto token = host.issue("x", Scope::kAppend).value();
  auto client = memory_log(1);
  append_n(*client, 3, "c");
  SessionOptions o;
  o.log_id = "x";
  o.token = token;
  auto c = Session::connect(*client, o).value();
  auto h = host.accept().value();
  ASSERT_TRUE(h->receive(*c->next_message()).is_ok());
  ASSERT_TRUE(c->receive(*h->next_message()).is_ok());
  auto batch = c->next_message();
  ASSERT_TRUE(batch.has_value());
  // Another connection (another server process) revokes; `served` still
  // holds epoch 0 in memory.
  auto other = open_sqlite_log(path).value();
  ASSERT_TRUE(other->set_epoch(1).is_ok());
  EXPECT_EQ(served->cursor(), 0u);
  ASSERT_TRUE(h->receive(*batch).is_ok());
  EXPECT_EQ(decode_ack(*h->next_message())->status, Code::kStaleEpoch);
  EXPECT_EQ(served->cursor(), 0u);
  EXPECT_EQ(served->epoch(), 1u);
  EXPECT_EQ(other->read(1, 10)->size(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(HostSqlite, RevokeByAnotherProcessIsSeenAtTheNextHello) {
  auto dir = std::filesystem::temp_directory_path() / ("weft-revoke-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "hosted.db").string();
  Secret master{};
  Host host(master, [&](std::string_view) { return open_sqlite_log(path); });
  auto token = host.issue("x", Scope::kRead).value();  // the host has the log open now
  ASSERT_TRUE(open_sqlite_log(path).value()->set_epoch(1).is_ok());  // `weft token revoke`
  auto client = memory_log(1);
  SessionOptions o;
  o.log_id = "x";
  o.token = token;
  auto c = Session::connect(*client, o).value();
  auto h = host.accept().value();
  pump(*c, *h);
  EXPECT_EQ(c->error().code, Code::kStaleEpoch);  // not served from the host's old epoch
  EXPECT_EQ(host.redeem("x", token).code(), Code::kStaleEpoch);
  std::filesystem::remove_all(dir);
}

TEST_F(HostTest, AnAdmittedSessionCannotWriteAcrossARevoke) {
  auto token = host->issue(kId, Scope::kAppend).value();
  auto c = client_session(token);
  auto h = host_session();
  ASSERT_TRUE(h->receive(*c->next_message()).is_ok());
  ASSERT_TRUE(c->receive(*h->next_message()).is_ok());
  ASSERT_EQ(host->revoke(kId).value(), 1u);
  // A batch stamped with the new epoch by a client admitted at the old one.
  Batch forged = all_ops(*client);
  forged.epoch = 1;
  ASSERT_TRUE(h->receive(encode_batch(forged)).is_ok());
  // Sealed chunks carry no epoch of their own: checked against the
  // session's, inside the chunk's transaction.
  LogOptions lo;
  lo.actor = actor(50);
  lo.auto_seal_ops = 2;
  auto sealer = Log::open_memory(lo).value();
  append_n(*sealer, 2, "s");
  ChunksMessage chunks;
  chunks.seq = 1;
  chunks.chunks.push_back(sealer->get_chunk(actor(50), 0).value().bytes);
  ASSERT_TRUE(h->receive(encode_chunks(chunks)).is_ok());
  EXPECT_EQ(server->cursor(), 5u);  // neither applied
  while (auto m = h->next_message()) {
    if (!is_kind(*m, MessageKind::kAck)) continue;
    auto ack = decode_ack(*m).value();
    EXPECT_NE(ack.status, Code::kOk);
    EXPECT_TRUE(ack.applied.empty());
  }
}

TEST(HostSqlite, TwoRevokesFromTwoConnectionsAreTwoEpochs) {
  auto dir = std::filesystem::temp_directory_path() / ("weft-bump-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "hosted.db").string();
  auto one = open_sqlite_log(path).value();
  auto two = open_sqlite_log(path).value();  // still believes epoch 0
  EXPECT_EQ(one->bump_epoch().value(), 1u);
  EXPECT_EQ(two->bump_epoch().value(), 2u);  // read inside its transaction
  EXPECT_EQ(open_sqlite_log(path).value()->epoch(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft
