#pragma once

// {env:NAME} references: the way a scenario names a secret (an API token in a header) without
// holding it. NAME is a letter or '_' then letters, digits or '_'. The value is read from the
// environment when the run starts and is never written to a file or an output.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// Length of the well-formed "{env:NAME}" at text[at], or 0 when there is none there.
std::size_t env_ref_length(std::string_view text, std::size_t at);

// The NAMEs referenced in text, in order.
std::vector<std::string> env_ref_names(std::string_view text);

// text with every {env:NAME} replaced by lookup(NAME); a name lookup cannot resolve is returned
// in `missing` (the first one) and its reference left as it was.
std::string expand_env_refs(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup,
    std::string* missing = nullptr);

}  // namespace memgate
