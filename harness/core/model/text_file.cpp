#include "core/model/text_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/model/errors.hpp"
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

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
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
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void append_to_file(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const int error = write_all(fd, content);
  if (::close(fd) != 0 || error != 0) {
    throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(error ? error : errno)));
  }
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
