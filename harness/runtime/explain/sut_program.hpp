#pragma once

// What kind of program a SUT's argv[0] is, read from the file itself (no ldd, no shell): an ELF
// with a PT_INTERP program header is dynamically linked (heaptrack can preload into it), one
// without is static; "#!" starts a script, whose interpreter is read from that line.

#include <map>
#include <string>

#include "core/explain/explain_plan.hpp"

namespace memgate {

// argv0 without '/' is looked up on path_env (as execvp does); a relative one from cwd.
SutProgram inspect_program(const std::string& argv0, const std::string& cwd,
                           const std::string& path_env);

// The ELF facts of a file's first bytes: elf_dynamic, elf_static, or other (not ELF, truncated).
SutProgram::Kind elf_kind(const std::string& head);

}  // namespace memgate
