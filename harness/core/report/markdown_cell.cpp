#include "core/report/markdown_cell.hpp"

#include "core/model/secret_mask.hpp"

namespace memgate {

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : secrets::mask(text)) {  // before escaping: the secret as it is
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': out += "\\\\"; break;
      case '*': case '_': case '`': case '[': case ']': case '#': case '~':
        out += '\\';
        out += c;
        break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n': case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace memgate
