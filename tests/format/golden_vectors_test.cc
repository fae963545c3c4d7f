// The checked-in golden vectors: any change to the encoding shows up here
// first. Bindings replay the same files through their own APIs.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "vectors/vector_cases.hpp"

namespace weft {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class GoldenVectors : public ::testing::TestWithParam<vectors::Case> {};

TEST_P(GoldenVectors, BytesDecodeToContentAndReEncodeIdentically) {
  const auto& c = GetParam();
  const std::string base = std::string(WEFT_VECTORS_DIR) + "/" + c.name;
  std::string raw = slurp(base + ".bin");
  ASSERT_FALSE(raw.empty()) << base << ".bin is missing";
  Bytes file(raw.begin(), raw.end());

  EXPECT_EQ(vectors::encode(c.content), file) << "encoding drifted from the checked-in bytes";
  vectors::Content decoded;
  if (std::holds_alternative<Batch>(c.content)) {
    auto d = decode_batch(file);
    ASSERT_TRUE(d.is_ok()) << d.error().to_string();
    decoded = d.value();
  } else if (std::holds_alternative<Ack>(c.content)) {
    auto d = decode_ack(file);
    ASSERT_TRUE(d.is_ok()) << d.error().to_string();
    decoded = d.value();
  } else {
    auto d = decode_chunk(file);
    ASSERT_TRUE(d.is_ok()) << d.error().to_string();
    decoded = d.value();
  }
  EXPECT_TRUE(decoded == c.content);
  EXPECT_EQ(vectors::encode(decoded), file);
  EXPECT_EQ(vectors::to_json(decoded, file), slurp(base + ".json"));
}

INSTANTIATE_TEST_SUITE_P(All, GoldenVectors, ::testing::ValuesIn(vectors::cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace weft
