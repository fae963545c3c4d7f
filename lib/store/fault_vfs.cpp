// A SQLite VFS that forwards to the default one and consults the fault
// registry on every write and sync (points "vfs.write", "vfs.sync", and
// "vfs.full" for a write that finds the disk full). Built only with
// -Dfault_injection=true.
#include <sqlite3.h>

#include <cstring>

#include "store/fault_vfs.hpp"
#include "weft/faults.hpp"

namespace weft {
namespace {

struct FaultFile {
  sqlite3_file base;      // must be first: SQLite sees this struct as a sqlite3_file
  sqlite3_file* real;     // the default VFS's file, allocated right after us
};

sqlite3_vfs* g_real = nullptr;
sqlite3_io_methods g_methods;

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int f_close(sqlite3_file* f) {
  int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  return rc;
}
int f_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), p, n, off);
}
int f_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  if (WEFT_FAULT("vfs.full")) return SQLITE_FULL;
  if (WEFT_FAULT("vfs.write")) return SQLITE_IOERR_WRITE;
  return real(f)->pMethods->xWrite(real(f), p, n, off);
}
int f_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int f_sync(sqlite3_file* f, int flags) {
  if (WEFT_FAULT("vfs.sync")) return SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
int f_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int f_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int f_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int f_check(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int f_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int f_sector(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int f_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int f_shm_map(sqlite3_file* f, int pg, int sz, int extend, void volatile** pp) {
  return real(f)->pMethods->xShmMap(real(f), pg, sz, extend, pp);
}
int f_shm_lock(sqlite3_file* f, int off, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), off, n, flags);
}
void f_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int f_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int f_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  return real(f)->pMethods->xFetch(real(f), off, n, pp);
}
int f_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

int v_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* ff = reinterpret_cast<FaultFile*>(file);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  std::memset(ff->real, 0, g_real->szOsFile);
  ff->base.pMethods = nullptr;
  int rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
  if (ff->real->pMethods) {
    g_methods = *ff->real->pMethods;  // same version and capabilities as the real file
    g_methods.xClose = f_close;
    g_methods.xRead = f_read;
    g_methods.xWrite = f_write;
    g_methods.xTruncate = f_truncate;
    g_methods.xSync = f_sync;
    g_methods.xFileSize = f_size;
    g_methods.xLock = f_lock;
    g_methods.xUnlock = f_unlock;
    g_methods.xCheckReservedLock = f_check;
    g_methods.xFileControl = f_control;
    g_methods.xSectorSize = f_sector;
    g_methods.xDeviceCharacteristics = f_device;
    if (g_methods.iVersion >= 2) {
      g_methods.xShmMap = f_shm_map;
      g_methods.xShmLock = f_shm_lock;
      g_methods.xShmBarrier = f_shm_barrier;
      g_methods.xShmUnmap = f_shm_unmap;
    }
    if (g_methods.iVersion >= 3) {
      g_methods.xFetch = f_fetch;
      g_methods.xUnfetch = f_unfetch;
    }
    ff->base.pMethods = &g_methods;
  }
  (void)vfs;
  return rc;
}

}  // namespace

const char* fault_vfs_name() {
  static sqlite3_vfs vfs;
  static const bool registered = [] {
    g_real = sqlite3_vfs_find(nullptr);
    vfs = *g_real;
    vfs.zName = "weft-faults";
    vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
    vfs.xOpen = v_open;
    return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  }();
  return registered ? "weft-faults" : nullptr;
}

}  // namespace weft
