#pragma once

#include <string>
#include <string_view>

namespace memgate {

// Untrusted text made safe for one Markdown table cell (or list item): Markdown and HTML syntax
// characters escaped or neutralized, newlines turned into spaces, the secrets memgate knows
// masked first (core/model/secret_mask.hpp).
std::string markdown_cell(std::string_view text);

}  // namespace memgate
