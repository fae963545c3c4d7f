// The `weft` command's shared pieces (tools/weft_cli.hpp).
#include "weft_cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "weft/sqlite_store.hpp"

namespace weft::cli {

int report(const Error& error, int exit_code) {
  std::fflush(stdout);
  std::fprintf(stderr, "weft: %s: %s\n", std::string(code_name(error.code)).c_str(),
               error.message.c_str());
  return exit_code;
}

int usage_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "weft %.*s: %.*s\nTry 'weft %.*s --help'.\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(message.size()),
               message.data(), static_cast<int>(command.size()), command.data());
  return kExitUsage;
}

bool Args::flag(std::string_view name) const {
  return std::find(set_flags.begin(), set_flags.end(), name) != set_flags.end();
}

std::optional<std::string> Args::value(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::optional<Args> parse_args(std::string_view command, std::span<char* const> argv,
                               const OptionSpec& spec) {
  Args out;
  auto is = [](const std::vector<std::string_view>& names, std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string_view word = argv[i];
    if (out.saw_double_dash) {
      out.rest.emplace_back(word);
      continue;
    }
    if (word == "--") {
      out.saw_double_dash = true;
      continue;
    }
    if (word.size() < 3 || word.substr(0, 2) != "--") {
      if (word.size() >= 2 && word[0] == '-' && word != "-") {
        usage_error(command, "unknown option '" + std::string(word) + "'");
        return std::nullopt;
      }
      out.positional.emplace_back(word);
      continue;
    }
    std::string_view name = word.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "help" || is(spec.flags, name)) {
      if (inline_value) {
        usage_error(command, "option '--" + std::string(name) + "' takes no value");
        return std::nullopt;
      }
      out.set_flags.emplace_back(name);
      continue;
    }
    if (!is(spec.valued, name)) {
      usage_error(command, "unknown option '--" + std::string(name) + "'");
      return std::nullopt;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      usage_error(command, "option '--" + std::string(name) + "' needs a value");
      return std::nullopt;
    }
    out.values[std::string(name)] = std::move(value);
  }
  return out;
}

std::optional<uint64_t> parse_number(std::string_view command, std::string_view option,
                                     std::string_view text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    usage_error(command, "--" + std::string(option) + ": expected a number from " +
                             std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                             std::string(text) + "'");
    return std::nullopt;
  }
  return v;
}

// ----------------------------------------------------------------- JSON

std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

void JsonObject::key(std::string_view k) {
  if (!first_) out_.push_back(',');
  first_ = false;
  out_ += json_string(k);
  out_.push_back(':');
}

JsonObject& JsonObject::str(std::string_view k, std::string_view value) {
  key(k);
  out_ += json_string(value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, uint64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, int64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::raw(std::string_view k, std::string_view json) {
  key(k);
  out_ += json;
  return *this;
}

bool valid_utf8(std::span<const uint8_t> b) {
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= b.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string op_json(const StoredOp& s) {
  const Op& op = s.op;
  std::string deps = "[";
  for (size_t i = 0; i < op.deps.size(); ++i) {
    if (i) deps.push_back(',');
    deps += json_string(op.deps[i].to_string());
  }
  deps.push_back(']');
  JsonObject o;
  o.num("cursor", s.cursor)
      .str("id", op.id.to_string())
      .num("lamport", op.lamport)
      .num("kind", static_cast<uint64_t>(op.kind))
      .num("timestamp_ms", op.timestamp_ms)
      .raw("deps", deps);
  if (valid_utf8(op.payload)) {
    o.str("payload", std::string_view(reinterpret_cast<const char*>(op.payload.data()),
                                      op.payload.size()));
  } else {
    o.str("payload_hex", to_hex(op.payload));
  }
  return o.done();
}

bool print_line(const std::string& line) {
  return std::fwrite(line.data(), 1, line.size(), stdout) == line.size() &&
         std::fputc('\n', stdout) != EOF;
}

// ----------------------------------------------------------------- files

std::optional<uint64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

Result<std::unique_ptr<Log>> open_existing_log(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return make_error(err == ENOENT ? Code::kNotFound : Code::kIoError,
                      path + ": " + std::strerror(err) +
                          (err == ENOENT ? " (weft init creates a log)" : ""));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Code::kInvalidArgument, path + ": not a regular file");
  }
  SqliteOptions options;
  options.create = false;
  return open_sqlite_log(path, options);
}

std::string default_log_id(const std::string& db_path) {
  return std::filesystem::path(db_path).stem().string();
}

std::string default_key_path(const std::string& db_path) { return db_path + ".key"; }

Host::Opener single_log_opener(std::string id, std::string db_path) {
  return [id = std::move(id), db_path = std::move(db_path)](
             std::string_view asked) -> Result<std::unique_ptr<Log>> {
    if (asked != id) return make_error(Code::kNotFound, "no log '" + std::string(asked) + "' here");
    return open_existing_log(db_path);
  };
}

bool check_log_id(std::string_view command, std::string_view id) {
  if (id.empty() || id.size() > kMaxLogIdBytes) {
    usage_error(command, "a log id is 1 to " + std::to_string(kMaxLogIdBytes) + " bytes");
    return false;
  }
  return true;
}

void wipe(Secret& secret) {
  volatile uint8_t* p = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) p[i] = 0;
}

Result<Secret> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? Code::kNotFound : Code::kIoError,
                      "key file " + path + ": " + std::strerror(err) +
                          (err == ENOENT ? " (weft init creates one; or pass --key FILE)" : ""));
  }
  Secret key{};
  uint8_t extra = 0;
  const ssize_t n = ::read(fd, key.data(), key.size());
  const ssize_t more = n == static_cast<ssize_t>(key.size()) ? ::read(fd, &extra, 1) : 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()) || more != 0) {
    wipe(key);
    return make_error(Code::kInvalidArgument,
                      "key file " + path + ": expected exactly " + std::to_string(key.size()) +
                          " bytes");
  }
  return key;
}

Result<bool> ensure_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err != EEXIST) {
      return make_error(Code::kIoError, "key file " + path + ": " + std::strerror(err));
    }
    auto existing = read_key_file(path);
    WEFT_TRY(existing);
    wipe(existing.value());
    return false;
  }
  Secret key = new_secret();
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  wipe(key);
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return make_error(Code::kIoError, "key file " + path + ": " + std::strerror(err));
  }
  return true;
}

}  // namespace weft::cli
