#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/exit_code.hpp"

namespace memgate {

// Text from outside (input, a server's answer) made safe to print and to store: control
// characters and bytes that are not UTF-8 come out as \xNN (newlines and tabs stay); output past
// max_bytes is cut and marked " [...]".
std::string printable(std::string_view text, std::size_t max_bytes);

// Base of memgate's typed errors. Each error knows the exit code it maps to and may carry a
// hint that says how to fix it. Expected outcomes (a regression, a missing baseline) are values,
// never errors.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& what, std::string hint = {})
      : std::runtime_error(what), code_(code), hint_(std::move(hint)) {}
  ExitCode code() const { return code_; }
  const std::string& hint() const { return hint_; }

 private:
  ExitCode code_;
  std::string hint_;
};

// Bad input in a file (scenario, baseline, report): names the file and the JSON path (RFC 6901
// pointer, "" for the whole document). what() reads "FILE: PATH: PROBLEM". Exit 2.
class InputError : public Error {
 public:
  InputError(std::string file, std::string json_path, const std::string& problem,
             std::string hint = {});
  const std::string& file() const { return file_; }
  const std::string& json_path() const { return json_path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  std::string json_path_;
  std::string problem_;
};

// Bad command-line usage. Exit 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what, std::string hint = {})
      : Error(ExitCode::bad_input, what, std::move(hint)) {}
};

// The run could not be carried out: the SUT did not start, crashed, was not ready in time, the
// load target was unreachable, a dependency is missing. May carry the tail of the SUT's log.
// Exit 3.
class RunError : public Error {
 public:
  RunError(const std::string& what, std::string hint = {}, std::vector<std::string> log_tail = {})
      : Error(ExitCode::run_failed, what, std::move(hint)), log_tail_(std::move(log_tail)) {}
  const std::vector<std::string>& log_tail() const { return log_tail_; }

 private:
  std::vector<std::string> log_tail_;
};

}  // namespace memgate
