#include "runtime/explain/sut_program.hpp"

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace memgate {

namespace {

namespace fs = std::filesystem;

// Enough of the file for the ELF header and its program headers in every real binary.
constexpr std::size_t kHeadBytes = 64 * 1024;

std::string read_head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(kHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

template <typename Ehdr, typename Phdr>
SutProgram::Kind program_headers(const std::string& head) {
  if (head.size() < sizeof(Ehdr)) return SutProgram::Kind::other;
  Ehdr eh;
  std::memcpy(&eh, head.data(), sizeof eh);
  for (std::size_t i = 0; i < eh.e_phnum; ++i) {
    const std::size_t at = eh.e_phoff + i * eh.e_phentsize;
    if (eh.e_phentsize < sizeof(Phdr) || at + sizeof(Phdr) > head.size()) {
      return SutProgram::Kind::other;
    }
    Phdr ph;
    std::memcpy(&ph, head.data() + at, sizeof ph);
    if (ph.p_type == PT_INTERP) return SutProgram::Kind::elf_dynamic;
  }
  return SutProgram::Kind::elf_static;
}

std::string resolve(const std::string& argv0, const std::string& cwd, const std::string& path_env) {
  if (argv0.find('/') != std::string::npos) {
    const fs::path p(argv0);
    return (p.is_absolute() || cwd.empty() ? p : fs::path(cwd) / p).string();
  }
  std::stringstream dirs(path_env);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / argv0;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) {
      return candidate.string();
    }
  }
  return "";
}

}  // namespace

SutProgram::Kind elf_kind(const std::string& head) {
  if (head.size() < EI_NIDENT || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0) {
    return SutProgram::Kind::other;
  }
  if (head[EI_CLASS] == ELFCLASS64) return program_headers<Elf64_Ehdr, Elf64_Phdr>(head);
  if (head[EI_CLASS] == ELFCLASS32) return program_headers<Elf32_Ehdr, Elf32_Phdr>(head);
  return SutProgram::Kind::other;
}

SutProgram inspect_program(const std::string& argv0, const std::string& cwd,
                           const std::string& path_env) {
  SutProgram program;
  program.path = resolve(argv0, cwd, path_env);
  std::error_code ec;
  if (program.path.empty() || !fs::is_regular_file(program.path, ec)) {
    program.kind = SutProgram::Kind::missing;
    return program;
  }
  const std::string head = read_head(program.path);
  if (head.rfind("#!", 0) == 0) {
    program.kind = SutProgram::Kind::script;
    std::istringstream line(head.substr(2, head.find('\n') - 2));
    std::string interpreter, argument;
    line >> interpreter >> argument;
    // "#!/usr/bin/env python3": the program env runs.
    program.interpreter =
        fs::path(interpreter).filename() == "env" && !argument.empty() ? argument : interpreter;
    return program;
  }
  program.kind = elf_kind(head);
  return program;
}

}  // namespace memgate
