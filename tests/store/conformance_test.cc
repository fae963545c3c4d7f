// The conformance kit against weft's own adapters, and against broken
// adapters to show that each scenario can fail.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.hpp"
#include "weft/conformance.hpp"

namespace weft {
namespace {

namespace cf = conformance;

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("weft-conf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

cf::BackendFactory factory_for(const std::string& kind) {
  if (kind == "memory") return [] { return cf::memory_backend(); };
  return [] { return cf::sqlite_backend(temp_dir()); };
}

struct Case {
  std::string backend;
  std::string scenario;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.backend << "/" << c.scenario; }

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, ScenarioPasses) {
  auto results = cf::run(factory_for(GetParam().backend), GetParam().scenario);
  ASSERT_EQ(results.size(), 1u);
  const auto& r = results[0];
  EXPECT_EQ(r.scenario, GetParam().scenario);
  if (r.outcome == cf::Outcome::kSkip) GTEST_SKIP() << r.diagnostic;
  EXPECT_EQ(r.outcome, cf::Outcome::kPass) << r.diagnostic;
  EXPECT_TRUE(r.diagnostic.empty());
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (const char* b : {"memory", "sqlite"}) {
    for (const auto& s : cf::scenarios()) out.push_back({b, s});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Adapters, Conformance, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           return info.param.backend + "_" + info.param.scenario;
                         });

// A store wrapper with one deliberate defect, to prove the kit notices.
class Defective final : public LogStore {
 public:
  enum class Bug { kReverseRanges, kDropChunks, kForgetHeader };
  Defective(std::unique_ptr<LogStore> inner, Bug bug) : inner_(std::move(inner)), bug_(bug) {}

  Result<LogHeader> load() override {
    auto h = inner_->load();
    if (h && bug_ == Bug::kForgetHeader) h->cursor = 0;
    return h;
  }
  Result<std::optional<OpMeta>> op_meta(const OpId& id) override { return inner_->op_meta(id); }
  Result<std::optional<StoredOp>> get_op(const OpId& id) override { return inner_->get_op(id); }
  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) override {
    size_t before = out.size();
    Status s = inner_->read_range(from, max, out);
    if (bug_ == Bug::kReverseRanges) std::reverse(out.begin() + before, out.end());
    return s;
  }
  Status read_actor(const ActorId& a, uint64_t f, size_t m, std::vector<StoredOp>& out) override {
    return inner_->read_actor(a, f, m, out);
  }
  Result<std::optional<StoredChunk>> get_chunk(const ActorId& a, uint64_t i) override {
    if (bug_ == Bug::kDropChunks) return std::optional<StoredChunk>();
    return inner_->get_chunk(a, i);
  }
  Result<std::optional<PeerState>> get_peer(std::string_view p) override {
    return inner_->get_peer(p);
  }
  Result<std::unique_ptr<StoreTxn>> begin_write() override { return inner_->begin_write(); }

 private:
  std::unique_ptr<LogStore> inner_;
  Bug bug_;
};

class DefectiveBackend final : public cf::Backend {
 public:
  explicit DefectiveBackend(Defective::Bug bug) : root_(make_memory_store()), bug_(bug) {}
  Result<std::unique_ptr<LogStore>> open() override {
    auto h = memory_store_share(*root_);
    WEFT_TRY(h);
    return std::unique_ptr<LogStore>(std::make_unique<Defective>(std::move(h.value()), bug_));
  }

 private:
  std::unique_ptr<LogStore> root_;
  Defective::Bug bug_;
};

cf::Outcome outcome(Defective::Bug bug, const std::string& scenario) {
  auto results = cf::run(
      [bug] { return Result<std::unique_ptr<cf::Backend>>(std::make_unique<DefectiveBackend>(bug)); },
      scenario);
  EXPECT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].diagnostic.empty()) << scenario;
  return results[0].outcome;
}

TEST(ConformanceKit, CatchesDefectiveAdapters) {
  EXPECT_EQ(outcome(Defective::Bug::kReverseRanges, "range_read_ordering"), cf::Outcome::kFail);
  EXPECT_EQ(outcome(Defective::Bug::kDropChunks, "chunk_immutability"), cf::Outcome::kFail);
  EXPECT_EQ(outcome(Defective::Bug::kForgetHeader, "durability_across_reopen"), cf::Outcome::kFail);
  // A backend that cannot corrupt its bytes skips that scenario, saying why.
  EXPECT_EQ(outcome(Defective::Bug::kReverseRanges, "corruption_detected"), cf::Outcome::kSkip);
}

TEST(ConformanceKit, ResultsAreOnePerScenarioInOrder) {
  auto results = cf::run(factory_for("memory"));
  ASSERT_EQ(results.size(), cf::scenarios().size());
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i].scenario, cf::scenarios()[i]);
}

}  // namespace
}  // namespace weft
