#pragma once

// Helpers shared by the fuzz targets: how a target reports a broken property, and an in-memory
// file for readers that only take a path.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/model/errors.hpp"

namespace memgate::fuzz {

// A broken property: print why and abort, so that libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(std::string_view property, std::string_view detail = {}) {
  std::fprintf(stderr, "memgate fuzz: property broken: %.*s\n%.*s\n",
               static_cast<int>(property.size()), property.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// The one acceptable failure of a reader: memgate's own error, with a message a user can act on.
// MEMGATE_FUZZ_VERBOSE=1 prints it (to see why a seed is rejected: run the target on the file).
inline void expect_usable(const Error& e) {
  static const bool verbose = std::getenv("MEMGATE_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "memgate fuzz: rejected: %s\n", e.what());
  if (std::string_view(e.what()).empty()) fail("a memgate::Error has an empty message");
  if (const auto* input = dynamic_cast<const InputError*>(&e); input && input->problem().empty()) {
    fail("an InputError names no problem", e.what());
  }
}

// The input's bytes as a string.
inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A file in memory (memfd) reached by a path, /proc/self/fd/N: the file readers (stat, size
// limit, read) run as for a real file, without touching the disk. One per process, rewritten
// for each input.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("memgate-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) fail("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() { ::close(fd_); }

  // Replaces the content with text and returns the path to read it by.
  const std::string& write(std::string_view text) {
    if (::ftruncate(fd_, 0) != 0) fail("ftruncate of the memfd failed");
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n =
          ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
      if (n <= 0) fail("write to the memfd failed");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace memgate::fuzz
