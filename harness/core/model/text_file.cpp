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

namespace {

void write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      throw RunError(fmt::format("cannot write {}: {}", path, why));
    }
    done += static_cast<std::size_t>(n);
  }
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
  write_all(fd, content, temp);
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

}  // namespace memgate
