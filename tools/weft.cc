// The `weft` command: create, inspect and sync weft logs from a shell
// (docs/weft-command.md).
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include "weft_cli.hpp"
#include "weft_commands.hpp"

namespace {

constexpr const char* kHelp = R"(usage: weft COMMAND [ARGS...]

Commands (each takes --help):
  init DB [--actor HEX]                create a log file and its host key DB.key
  append DB [--kind N] [PAYLOAD...]    append ops (one per PAYLOAD, or per stdin line)
  cat DB [--from C] [--limit N]        print ops as JSON lines
  tail DB [--from C] [--interval-ms N] print ops, then follow new ones
  sync A.db B.db                       sync two log files both ways
  serve --log DB [--listen ADDR:PORT]  host a log over stdio or loopback TCP
  connect DB --token T --id ID (--tcp HOST:PORT | -- CMD...)
                                       sync with a `weft serve`
  verify DB                            check every op and chunk
  digest DB                            print the log's digest
  stats DB                             print the log's figures
  token issue DB --scope read|append|admin
                                       print a capability token
  token revoke DB                      revoke every token issued so far

Most commands take --json to print JSON instead of text.

Exit codes:
  0  success
  1  the operation failed ("weft: CODE_NAME: message" on stderr)
  2  usage error
  3  the sync or session failed, or the peer refused it
  4  verify found corruption
)";

struct Command {
  std::string_view name;
  int (*run)(weft::cli::Argv);
};

constexpr Command kCommands[] = {
    {"init", weft::cli::cmd_init},       {"append", weft::cli::cmd_append},
    {"cat", weft::cli::cmd_cat},         {"tail", weft::cli::cmd_tail},
    {"sync", weft::cli::cmd_sync},       {"serve", weft::cli::cmd_serve},
    {"connect", weft::cli::cmd_connect}, {"verify", weft::cli::cmd_verify},
    {"digest", weft::cli::cmd_digest},   {"stats", weft::cli::cmd_stats},
    {"token", weft::cli::cmd_token},
};

}  // namespace

int main(int argc, char** argv) {
  const std::span<char* const> args(argv + 1, static_cast<size_t>(argc > 0 ? argc - 1 : 0));
  if (args.empty()) {
    std::fputs(kHelp, stderr);
    return weft::cli::kExitUsage;
  }
  const std::string_view name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && args.size() > 1) {
      for (const Command& c : kCommands) {
        if (c.name == args[1]) {
          char help_flag[] = "--help";
          char* const help_args[] = {help_flag};
          return c.run(weft::cli::Argv(help_args));
        }
      }
    }
    std::fputs(kHelp, stdout);
    return weft::cli::kExitOk;
  }
  if (name == "--version") {
    std::printf("weft %s\n", WEFT_TOOL_VERSION);
    return weft::cli::kExitOk;
  }
  for (const Command& c : kCommands) {
    if (c.name == name) return c.run(args.subspan(1));
  }
  std::fprintf(stderr, "weft: unknown command '%.*s'\n\n%s", static_cast<int>(name.size()),
               name.data(), kHelp);
  return weft::cli::kExitUsage;
}
