// The `weft` command's shared pieces: exit codes, argument parsing, JSON
// lines, log and key files (docs/weft-command.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/log.hpp"
#include "weft/session.hpp"
#include "weft/status.hpp"
#include "weft/token.hpp"

namespace weft::cli {

// Exit codes: published in `weft --help` and docs/weft-command.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;   // an operation failed
inline constexpr int kExitUsage = 2;    // bad command line
inline constexpr int kExitSession = 3;  // a sync or session failed, or the peer refused
inline constexpr int kExitCorrupt = 4;  // verify found corruption

// Prints "weft: CODE_NAME: message" to stderr and returns `exit_code`.
int report(const Error& error, int exit_code = kExitFailed);

// Prints "weft <command>: <message>" and a pointer to --help; returns kExitUsage.
int usage_error(std::string_view command, std::string_view message);

// A subcommand's options: which take a value, which are plain flags.
// "--help" is always a flag.
struct OptionSpec {
  std::vector<std::string_view> flags;
  std::vector<std::string_view> valued;
};

// A parsed command line. "--name value" and "--name=value" both work; "--"
// ends the options (everything after it is in `rest`).
struct Args {
  std::vector<std::string> positional;
  std::vector<std::string> rest;  // after "--"
  bool saw_double_dash = false;
  std::map<std::string, std::string, std::less<>> values;
  std::vector<std::string> set_flags;

  bool flag(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
};

// Parses `argv` (the words after the subcommand). On a usage error, prints
// it and returns nullopt (the caller exits kExitUsage).
std::optional<Args> parse_args(std::string_view command, std::span<char* const> argv,
                               const OptionSpec& spec);

// Strict decimal parsing of an option's value: nullopt (after printing a
// usage error) if it is not a number within [min, max].
std::optional<uint64_t> parse_number(std::string_view command, std::string_view option,
                                     std::string_view text, uint64_t min, uint64_t max);

// ----------------------------------------------------------------- JSON

// A JSON string literal, quoted and escaped (the input must be UTF-8).
std::string json_string(std::string_view text);

// One JSON object built field by field, printed as one line.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, uint64_t value);
  JsonObject& num(std::string_view key, int64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  // `json` must already be valid JSON (an array, an object).
  JsonObject& raw(std::string_view key, std::string_view json);
  std::string done() const { return out_ + "}"; }

 private:
  void key(std::string_view k);
  std::string out_ = "{";
  bool first_ = true;
};

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::span<const uint8_t> bytes);

// Lower-case hex to bytes; nullopt for an odd length or a non-hex digit.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);

// One op as the JSON line `weft cat` prints (docs/weft-command.md).
std::string op_json(const StoredOp& op);

// Writes `line` and a newline to stdout; false if stdout is gone.
bool print_line(const std::string& line);

// ----------------------------------------------------------------- files

// Opens an existing SQLite log file read-write, never creating one:
// NOT_FOUND naming the path if there is no such file.
Result<std::unique_ptr<Log>> open_existing_log(const std::string& path);

// The size in bytes of the file at `path`, or nullopt if there is none.
std::optional<uint64_t> file_size(const std::string& path);

// The default log id of a database file: its name without the extension.
std::string default_log_id(const std::string& db_path);
// The default key file of a database: "<db>.key".
std::string default_key_path(const std::string& db_path);

// A Host opener that serves exactly `id` from the existing file `db_path`
// (NOT_FOUND for any other id). A Host opens its log once and keeps it,
// with the epoch it read then; a fresh Host (as `weft serve` makes per
// connection) sees a revoke committed by another process.
Host::Opener single_log_opener(std::string id, std::string db_path);

// Checks a log id given on the command line (1 to kMaxLogIdBytes bytes);
// prints a usage error and returns false otherwise.
bool check_log_id(std::string_view command, std::string_view id);

// Reads a 32-byte master key file.
Result<Secret> read_key_file(const std::string& path);
// Creates `path` (mode 0600) holding a fresh key unless it exists; true if
// it created it. An existing file must hold a valid key.
Result<bool> ensure_key_file(const std::string& path);

// Overwrites a secret in place (the compiler may not elide it).
void wipe(Secret& secret);

}  // namespace weft::cli
