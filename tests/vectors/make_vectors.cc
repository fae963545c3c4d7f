// Writes the golden vectors (NAME.bin + NAME.json) into the directory given
// as argv[1]. Run it only on a deliberate format change, then commit both.
#include <cstdio>
#include <fstream>

#include "vector_cases.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& c : weft::vectors::cases()) {
    weft::Bytes b = weft::vectors::encode(c.content);
    std::string base = std::string(argv[1]) + "/" + c.name;
    std::ofstream(base + ".bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    std::ofstream(base + ".json") << weft::vectors::to_json(c.content, b);
    std::printf("%s: %zu bytes\n", c.name.c_str(), b.size());
  }
  return 0;
}
