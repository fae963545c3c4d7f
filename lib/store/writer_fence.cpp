#include "store/writer_fence.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft {
namespace {

constexpr uint8_t kMagic[8] = {'w', 'e', 'f', 't', 'f', 'n', 'c', '1'};
constexpr size_t kBodySize = 32;  // magic, actor, counter
constexpr size_t kCheckSize = FenceFile::kRecordSize - kBodySize;

off_t offset_of(int64_t log_no) {
  return static_cast<off_t>(log_no - 1) * static_cast<off_t>(FenceFile::kRecordSize);
}

// BLAKE2b-128 of the body and the log number: a record copied to another
// slot, torn, or zeroed does not check.
void check_of(const uint8_t* body, int64_t log_no, uint8_t* out) {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, nullptr, 0, kCheckSize);
  crypto_generichash_blake2b_update(&st, body, kBodySize);
  uint8_t no[8];
  for (int i = 0; i < 8; ++i) no[i] = static_cast<uint8_t>(static_cast<uint64_t>(log_no) >> (8 * i));
  crypto_generichash_blake2b_update(&st, no, sizeof no);
  crypto_generichash_blake2b_final(&st, out, kCheckSize);
}

Error io_error(const std::string& what, const std::string& path) {
  return make_error(Code::kIoError,
                    "writer fence: " + what + ": " + std::strerror(errno) + " [" + path + "]");
}

}  // namespace

FenceFile::~FenceFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<FenceFile::Record> FenceFile::read_raw(int64_t log_no) {
  Record r{};
  if (log_no < 1) return make_error(Code::kInvalidArgument, "writer fence: log number below 1");
  int fd = fd_ >= 0 ? fd_ : ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return r;
    return io_error("open", path_);
  }
  ssize_t n;
  do {
    n = ::pread(fd, r.data(), r.size(), offset_of(log_no));
  } while (n < 0 && errno == EINTR);
  const int saved = errno;
  if (fd != fd_) ::close(fd);
  errno = saved;
  if (n < 0) return io_error("read", path_);
  if (static_cast<size_t>(n) < r.size()) r.fill(0);
  return r;
}

Result<std::optional<WriterFence>> FenceFile::read(int64_t log_no) {
  auto raw = read_raw(log_no);
  WEFT_TRY(raw);
  const Record& r = raw.value();
  if (std::memcmp(r.data(), kMagic, sizeof kMagic) != 0) return std::optional<WriterFence>();
  uint8_t check[kCheckSize];
  check_of(r.data(), log_no, check);
  if (sodium_memcmp(check, r.data() + kBodySize, kCheckSize) != 0) {
    return std::optional<WriterFence>();
  }
  WriterFence f;
  std::memcpy(f.actor.bytes.data(), r.data() + 8, kActorIdSize);
  for (int i = 0; i < 8; ++i) f.counter |= static_cast<uint64_t>(r[24 + i]) << (8 * i);
  return std::optional<WriterFence>(f);
}

Status FenceFile::open_for_write() {
  if (fd_ >= 0) return Status::ok();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("open for writing", path_);
  return Status::ok();
}

Status FenceFile::write_raw(int64_t log_no, const Record& record) {
  if (log_no < 1) return make_error(Code::kInvalidArgument, "writer fence: log number below 1");
  WEFT_TRY(open_for_write());
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::pwrite(fd_, record.data() + done, record.size() - done,
                         offset_of(log_no) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", path_);
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status FenceFile::write(int64_t log_no, const WriterFence& fence) {
  Record r{};
  std::memcpy(r.data(), kMagic, sizeof kMagic);
  std::memcpy(r.data() + 8, fence.actor.bytes.data(), kActorIdSize);
  for (int i = 0; i < 8; ++i) r[24 + i] = static_cast<uint8_t>(fence.counter >> (8 * i));
  check_of(r.data(), log_no, r.data() + kBodySize);
  return write_raw(log_no, r);
}

}  // namespace weft
