#include "core/model/text_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/model/errors.hpp"
#include "core/model/secret_mask.hpp"
#include "core/model/units.hpp"

namespace memgate {

std::string read_input_file(const std::string& path, std::int64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(path, "", fmt::format("cannot read: {}", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) throw InputError(path, "", "not a regular file");
  if (st.st_size > max_bytes) {
    throw InputError(path, "",
                     fmt::format("file is {}, larger than the {} limit",
                                 format_bytes(static_cast<double>(st.st_size)),
                                 format_bytes(static_cast<double>(max_bytes))));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", fmt::format("cannot open: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "read failed");
  return text.str();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// Writes all of content to fd; returns 0 or the errno of the failed write.
int write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

constexpr const char* kStagingPrefix = ".report-set-";

bool is_json_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".json" || ext == ".jsonl";
}

std::string masked(const std::string& path, const std::string& content, Masking masking) {
  if (masking == Masking::none || !secrets::any()) return content;
  return is_json_file(path) ? secrets::mask_json(content) : secrets::mask(content);
}

void sync_folder(const std::string& folder) {
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

// Writes content into a new file at path (which must not exist), synced. Returns 0 or the errno.
int write_new_file(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::fchmod(fd, 0644);
  int error = write_all(fd, content);
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  return error;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& text, Masking masking) {
  const std::string content = masked(path, text, masking);
  const std::filesystem::path target(path);
  const std::string folder = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string temp = (std::filesystem::path(folder) / ("." + target.filename().string() +
                                                       ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)),
                   "check that the folder exists and is writable");
  }
  ::fchmod(fd, 0644);
  if (const int error = write_all(fd, content)) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(error)));
  }
  const bool synced = ::fsync(fd) == 0;
  const std::string sync_error = synced ? "" : std::strerror(errno);
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    const std::string why = synced ? std::strerror(errno) : sync_error;
    ::unlink(temp.c_str());
    throw RunError(fmt::format("cannot write {}: {}", path, why));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    throw RunError(fmt::format("cannot write {}: {}", path, why));
  }
  sync_folder(folder);
}

void write_file_set_atomic(const std::string& folder,
                           const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  // A writer killed between its steps left its staging folder: the caller holds the folder's
  // lock, so no other writer is using one now.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().filename().string().rfind(kStagingPrefix, 0) == 0) {
      fs::remove_all(entry.path(), ec);
    }
  }
  std::string staging = (fs::path(folder) / (std::string(kStagingPrefix) + "XXXXXX")).string();
  if (::mkdtemp(staging.data()) == nullptr) {
    throw RunError(
        fmt::format("cannot write the report files in {}: {}", folder, std::strerror(errno)),
        "check that the folder exists and is writable");
  }
  const auto remove_staging = [&] { fs::remove_all(staging, ec); };
  // 1. Every new file, whole and synced, beside the old ones' hard links (to put them back).
  for (const auto& [name, content] : files) {
    const std::string target = (fs::path(folder) / name).string();
    if (const int error = write_new_file((fs::path(staging) / name).string(),
                                         masked(name, content, Masking::secrets))) {
      remove_staging();
      throw RunError(fmt::format("cannot write {}: {}", target, std::strerror(error)),
                     "the previous report files are left as they were");
    }
    // The old file, to put back: a hard link, or a copy where links are not possible.
    const std::string old = (fs::path(staging) / (name + ".old")).string();
    if (::link(target.c_str(), old.c_str()) != 0 && errno != ENOENT) {
      const std::string text = read_text_file(target);
      if (const int error = write_new_file(old, text)) {
        remove_staging();
        throw RunError(fmt::format("cannot write {}: keeping the previous one: {}", target,
                                   std::strerror(error)),
                       "the previous report files are left as they were");
      }
    }
  }
  // 2. Into place; a failed rename puts back what was renamed before it.
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string target = (fs::path(folder) / files[i].first).string();
    if (::rename((fs::path(staging) / files[i].first).c_str(), target.c_str()) == 0) continue;
    const int error = errno;
    for (std::size_t j = 0; j < i; ++j) {
      const std::string done = (fs::path(folder) / files[j].first).string();
      const std::string old = (fs::path(staging) / (files[j].first + ".old")).string();
      if (::rename(old.c_str(), done.c_str()) != 0) ::unlink(done.c_str());
    }
    remove_staging();
    throw RunError(fmt::format("cannot write {}: {}", target, std::strerror(error)),
                   "the previous report files are left as they were");
  }
  remove_staging();
  sync_folder(folder);
}

namespace {

std::string append_line_locked(const std::string& path, const std::string& line) {
  const std::string content = masked(path, line, Masking::secrets) + "\n";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const auto fail = [&](int error, const std::string& what) {
    ::close(fd);
    throw RunError(fmt::format("cannot write {}: {}{}", path, std::strerror(error), what));
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(errno, "");
  off_t end = st.st_size;
  std::string note;
  if (end > 0) {
    // A last line without its newline: find where that line starts and cut it off.
    char last = '\n';
    if (::pread(fd, &last, 1, end - 1) != 1) fail(errno, "");
    if (last != '\n') {
      off_t start = end - 1;
      constexpr off_t kChunk = 4096;
      bool found = false;
      while (start > 0 && !found) {
        const off_t from = std::max<off_t>(0, start - kChunk);
        std::string chunk(static_cast<std::size_t>(start - from), '\0');
        if (::pread(fd, chunk.data(), chunk.size(), from) != static_cast<ssize_t>(chunk.size())) {
          fail(errno, "");
        }
        const auto nl = chunk.rfind('\n');
        if (nl != std::string::npos) {
          start = from + static_cast<off_t>(nl) + 1;
          found = true;
        } else {
          start = from;
        }
      }
      if (::ftruncate(fd, start) != 0) fail(errno, "");
      note = fmt::format("{} ended with a line cut short ({} bytes without a newline): removed",
                         path, end - start);
      end = start;
    }
  }
  if (const int error = write_all(fd, content)) {
    // Whole lines or nothing: the part written goes again.
    const bool restored = ::ftruncate(fd, end) == 0;
    fail(error,
         restored ? " (nothing was added)"
                  : fmt::format(" (and it could not be truncated back: {})", std::strerror(errno)));
  }
  if (::close(fd) != 0) {
    throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return note;
}

}  // namespace

void with_folder_lock(const std::string& path, const std::function<void()>& fn) {
  const std::filesystem::path file(path);
  const std::string folder = file.has_parent_path() ? file.parent_path().string() : ".";
  const auto fail = [&](int error) {
    throw RunError(fmt::format("cannot write {}: its folder {} cannot be locked: {}", path, folder,
                               std::strerror(error)));
  };
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) fail(errno);
  while (::flock(dir, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(dir);
    fail(error);
  }
  try {
    fn();
  } catch (...) {
    ::close(dir);  // releases the lock
    throw;
  }
  ::close(dir);
}

std::string append_line(const std::string& path, const std::string& line) {
  std::string note;
  with_folder_lock(path, [&] { note = append_line_locked(path, line); });
  return note;
}

std::error_code make_folders(const std::string& dir) {
  std::filesystem::path prefix;
  for (const auto& part : std::filesystem::path(dir)) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0755) == 0) continue;
    const int error = errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;  // it was there
    if (error == EEXIST) return std::make_error_code(std::errc::not_a_directory);
    return {error, std::generic_category()};
  }
  return {};
}

}  // namespace memgate
