// The fault-injecting SQLite VFS (internal; only with -Dfault_injection=true).
#pragma once

namespace weft {

// Registers the VFS once; its name, or nullptr if registration failed.
const char* fault_vfs_name();

}  // namespace weft
