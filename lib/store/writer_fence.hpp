// The writer fence file beside a store file (docs/storage.md, "Copies and
// restores"): one fixed-size record per log, naming the log's local writer
// and the highest counter it has minted. Internal to lib/store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "weft/status.hpp"
#include "weft/store.hpp"

namespace weft {

class FenceFile {
 public:
  static constexpr size_t kRecordSize = 48;
  using Record = std::array<uint8_t, kRecordSize>;

  explicit FenceFile(std::string path) : path_(std::move(path)) {}
  ~FenceFile();
  FenceFile(const FenceFile&) = delete;
  FenceFile& operator=(const FenceFile&) = delete;

  const std::string& path() const { return path_; }

  // The fence of log `log_no` (from 1): nullopt if the file or the record
  // is missing, short, or does not check (all read as "no fence").
  // IO_ERROR only if the file exists and cannot be read.
  Result<std::optional<WriterFence>> read(int64_t log_no);
  // The raw record of `log_no` (zeros where none), to put back on rollback.
  Result<Record> read_raw(int64_t log_no);
  Status write(int64_t log_no, const WriterFence& fence);
  Status write_raw(int64_t log_no, const Record& record);

 private:
  Status open_for_write();

  std::string path_;
  int fd_ = -1;  // opened for writing on the first write
};

}  // namespace weft
