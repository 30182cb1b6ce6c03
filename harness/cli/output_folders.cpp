#include "cli/output_folders.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"

namespace memgate::cli {

namespace {
constexpr const char* kLockFile = ".memgate.lock";
}

void probe_writable_folder(const std::string& dir, const std::string& what,
                           const std::string& hint) {
  if (const std::error_code ec = make_folders(dir)) {
    throw RunError(fmt::format("cannot create {} {}: {}", what, dir, ec.message()), hint);
  }
  std::string probe = (std::filesystem::path(dir) / ".write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    const int error = errno;
    throw RunError(fmt::format("cannot write to {} {}: {}", what, dir, std::strerror(error)), hint);
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void probe_writable_file(const std::string& path, const std::string& what,
                         const std::string& hint) {
  const std::filesystem::path file(path);
  try {
    probe_writable_folder(file.has_parent_path() ? file.parent_path().string() : ".", "its folder",
                          hint);
  } catch (const RunError& e) {
    throw RunError(fmt::format("cannot write {} {}: {}", what, path, e.what()), hint);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // created when first written
  if (!S_ISREG(st.st_mode)) {
    throw RunError(fmt::format("cannot write {} {}: not a regular file", what, path), hint);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);  // as append_line opens it
  if (fd < 0) {
    throw RunError(fmt::format("cannot write {} {}: {}", what, path, std::strerror(errno)), hint);
  }
  ::close(fd);
}

FolderLocks::~FolderLocks() {
  for (const auto& [dir, fd] : held_) ::close(fd);  // closing the file releases its lock
}

void FolderLocks::lock(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(dir, ec).string();
  for (const auto& [held, fd] : held_) {
    if (held == canonical) return;
  }
  const std::string path = (fs::path(dir) / kLockFile).string();
  // O_CLOEXEC: the processes memgate starts must not hold its lock after it is gone.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw RunError(
        fmt::format("cannot lock the report folder {}: {}: {}", dir, path, std::strerror(errno)),
        "choose another folder with --out");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      throw RunError(
          fmt::format("cannot lock the report folder {}: {}", dir, std::strerror(error)));
    }
    const std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
    throw UsageError(
        fmt::format("the report folder {} is in use by another memgate (pid {}): two runs in "
                    "one folder would delete each other's run folders",
                    dir, holder.empty() ? "unknown" : holder.substr(0, holder.find('\n'))),
        "wait for it to finish, or give this one another folder with --out");
  }
  // The holder's pid, for the message of a second memgate (without it: "unknown").
  const std::string mine = std::to_string(::getpid()) + "\n";
  [[maybe_unused]] const bool named =
      ::ftruncate(fd, 0) == 0 && ::pwrite(fd, mine.data(), mine.size(), 0) > 0;
  held_.emplace_back(canonical, fd);
}

}  // namespace memgate::cli
