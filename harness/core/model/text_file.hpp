#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace memgate {

// Reads a whole file that memgate takes as input. A missing, unreadable or larger than max_bytes
// file is an InputError naming it (exit 2): input files are small, and a limit keeps a wrong path
// (a log, a binary) from being read into memory.
std::string read_input_file(const std::string& path, std::int64_t max_bytes);

// Reads a small file whole, such as one of /proc or /sys; "" when it cannot be read (a process
// or cgroup that is gone, a file that does not exist). For memgate's input files, see
// read_input_file.
std::string read_text_file(const std::string& path);

// Writes content to path atomically: a temporary file in the same folder, fsync, rename over
// path, fsync of the folder. A crash leaves the old file or the new one, never a mix. The file
// gets mode 0644. Throws RunError (exit 3) naming the path when it cannot be written.
void write_file_atomic(const std::string& path, const std::string& content);

// Appends content with one write(2) to path (O_APPEND: concurrent appends of small lines do not
// interleave), creating it with mode 0644. Throws RunError (exit 3) naming the path.
void append_to_file(const std::string& path, const std::string& content);

// Creates dir and its missing parents with mode 0755 (less what the umask removes, never
// world-writable whatever the umask). An existing folder is fine. Returns the error, if any.
std::error_code make_folders(const std::string& dir);

}  // namespace memgate
