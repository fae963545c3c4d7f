// The `weft` subcommands (docs/weft-command.md). Each takes the words after
// its name and returns the process exit code.
#pragma once

#include <span>

namespace weft::cli {

using Argv = std::span<char* const>;

// tools/weft_log_commands.cc: one local log file.
int cmd_init(Argv args);
int cmd_append(Argv args);
int cmd_cat(Argv args);
int cmd_tail(Argv args);
int cmd_verify(Argv args);
int cmd_digest(Argv args);
int cmd_stats(Argv args);
int cmd_token(Argv args);

// tools/weft_sync_commands.cc: sessions between logs.
int cmd_sync(Argv args);
int cmd_serve(Argv args);
int cmd_connect(Argv args);

}  // namespace weft::cli
