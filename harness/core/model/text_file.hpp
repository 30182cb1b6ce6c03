#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace memgate {

// Reads a whole file that memgate takes as input. A missing, unreadable or larger than max_bytes
// file is an InputError naming it (exit 2): input files are small, and a limit keeps a wrong path
// (a log, a binary) from being read into memory.
std::string read_input_file(const std::string& path, std::int64_t max_bytes);

// Reads a small file whole, such as one of /proc or /sys; "" when it cannot be read (a process
// or cgroup that is gone, a file that does not exist). For memgate's input files, see
// read_input_file.
std::string read_text_file(const std::string& path);

// Whether a file memgate writes has the secrets it knows masked (core/model/secret_mask.hpp):
// every output does; a file a process reads (a `files` template, a hook) is written as given.
// Masking of a .json or .jsonl file changes string literals only.
enum class Masking { secrets, none };

// Writes content to path atomically: a temporary file in the same folder, fsync, rename over
// path, fsync of the folder. A crash leaves the old file or the new one, never a mix. The file
// gets mode 0644. Throws RunError (exit 3) naming the path when it cannot be written.
void write_file_atomic(const std::string& path, const std::string& content,
                       Masking masking = Masking::secrets);

// Writes a set of files into folder as one: every file is written (and synced) into a temporary
// folder inside it first, then each is renamed into place; if a write fails nothing in folder
// changed, and if a rename fails the files already renamed are put back as they were. So a
// failure (a full disk) never leaves a new file beside an old one of the same set. files: name
// (no '/') -> content, masked as write_file_atomic does. The caller holds the folder's lock
// (one writer at a time): a staging folder a killed writer left is removed. Throws RunError
// naming the file.
void write_file_set_atomic(const std::string& folder,
                           const std::vector<std::pair<std::string, std::string>>& files);

// Runs fn while this process holds an exclusive flock on the folder of path. The writers of a
// file that is both appended to (a check's history line) and replaced by rename (a merge of
// histories) take turns there: a lock on the file itself would stay with the replaced copy.
// Throws RunError naming the folder when it cannot be locked.
void with_folder_lock(const std::string& path, const std::function<void()>& fn);

// Appends one line (line holds no newline; one is added) to path, whole or not at all: under
// with_folder_lock (concurrent appends and merges take turns), written and its length checked; a
// short write (a full disk) is truncated back to where the file ended. A last line that an older
// writer left without its newline (cut short by a crash) is removed first, so that it is never
// glued to this one: the returned note says so ("" otherwise). Creates the file with mode 0644.
// Throws RunError (exit 3) naming the path.
std::string append_line(const std::string& path, const std::string& line);

// Creates dir and its missing parents with mode 0755 (less what the umask removes, never
// world-writable whatever the umask). An existing folder is fine. Returns the error, if any.
std::error_code make_folders(const std::string& dir);

}  // namespace memgate
