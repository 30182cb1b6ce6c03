#pragma once

// The folders a command writes into, made ready before its first run, so that a folder that
// cannot take a file is found in milliseconds rather than after minutes of load, and so that two
// memgate commands never write into one report folder at once (they would delete each other's
// run folders and mix their report files).

#include <string>
#include <vector>

namespace memgate::cli {

// Creates dir (and its parents) and writes a probe file into it. Throws RunError (exit 3)
// "cannot create WHAT DIR: ..." or "cannot write to WHAT DIR: ..." with hint.
void probe_writable_folder(const std::string& dir, const std::string& what,
                           const std::string& hint);

// A file memgate will append to or replace (a history): its folder as probe_writable_folder, and
// the file, if it exists, must be a regular file open for writing. Throws RunError (exit 3).
void probe_writable_file(const std::string& path, const std::string& what, const std::string& hint);

// Exclusive locks on report folders, held until this object goes (or memgate exits: the lock is
// the kernel's, so a killed memgate leaves none behind).
class FolderLocks {
 public:
  FolderLocks() = default;
  FolderLocks(const FolderLocks&) = delete;
  FolderLocks& operator=(const FolderLocks&) = delete;
  ~FolderLocks();

  // Locks dir (which must exist) through DIR/.memgate.lock (flock, and this process's pid in the
  // file). Held by another process: UsageError (exit 2) naming dir and the holder's pid. Locking
  // a folder this object holds already is a no-op.
  void lock(const std::string& dir);

 private:
  std::vector<std::pair<std::string, int>> held_;  // folder, lock file descriptor
};

}  // namespace memgate::cli
