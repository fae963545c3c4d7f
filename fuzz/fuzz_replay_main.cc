// Replays fuzz inputs through a target without libFuzzer, so every corpus
// runs as an ordinary test under any compiler (docs/fuzzing.md).
//
//   NAME_replay PATH...   each PATH a file or a directory of inputs
//
// Exits 0 when every input ran; a broken invariant aborts the process. An
// argument that yields no input at all is an error, so a moved corpus cannot
// turn the test into a silent pass.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> raw((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
  // An exact-size heap copy, as libFuzzer passes it, so ASan sees overreads.
  std::vector<uint8_t> bytes(raw.begin(), raw.end());
  std::fprintf(stderr, "Running: %s\n", path.c_str());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH...\n", argv[0]);
    return 2;
  }
  size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    std::vector<fs::path> inputs;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
      std::sort(inputs.begin(), inputs.end());  // a failure reproduces in the same order
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    }
    if (ec || inputs.empty()) {
      std::fprintf(stderr, "%s: no inputs\n", argv[i]);
      return 1;
    }
    for (const fs::path& p : inputs) {
      if (!run_file(p)) return 1;
    }
    total += inputs.size();
  }
  std::printf("%zu inputs replayed\n", total);
  return 0;
}
