#pragma once

// Everything memgate prints goes through print(): the secrets it knows are masked on the way
// out (core/model/secret_mask.hpp), whatever the text quotes (a process's last lines, an error).

#include <fmt/format.h>

#include <cstdio>
#include <string_view>
#include <utility>

namespace memgate::cli {

// Writes text to stream with the secrets masked.
void write_masked(std::FILE* stream, std::string_view text);

template <typename... T>
void print(std::FILE* stream, fmt::format_string<T...> format, T&&... args) {
  write_masked(stream, fmt::format(format, std::forward<T>(args)...));
}

// To stdout.
template <typename... T>
void print(fmt::format_string<T...> format, T&&... args) {
  write_masked(stdout, fmt::format(format, std::forward<T>(args)...));
}

}  // namespace memgate::cli
