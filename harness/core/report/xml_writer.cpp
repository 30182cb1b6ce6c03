#include "core/report/xml_writer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "core/model/secret_mask.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the UTF-8 sequence starting at text[i], 0 when it is not valid.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                        : (c & 0xF8) == 0xF0              ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  return is_valid_utf8(text.substr(i, n)) ? n : 0;
}

}  // namespace

std::string xml_escape(std::string_view raw) {
  const std::string masked = secrets::mask(raw);  // before escaping: the secret as it is
  const std::string_view text = masked;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&apos;"; ++i; continue;
      default: break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += kReplacement;
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

void XmlWriter::close_start_tag() {
  if (in_start_tag_) {
    out_ += '>';
    in_start_tag_ = false;
  }
}

XmlWriter& XmlWriter::start(std::string_view tag) {
  close_start_tag();
  out_ += '<';
  out_.append(tag);
  stack_.emplace_back(tag);
  in_start_tag_ = true;
  return *this;
}

XmlWriter& XmlWriter::attr(std::string_view name, std::string_view value) {
  if (!in_start_tag_) throw std::logic_error("XmlWriter: attribute outside a start tag");
  out_ += ' ';
  out_.append(name);
  out_ += "=\"";
  out_ += xml_escape(value);
  out_ += '"';
  return *this;
}

XmlWriter& XmlWriter::attr(std::string_view name, double value) {
  if (!std::isfinite(value)) value = 0;
  std::string text = fmt::format("{:.3f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return attr(name, std::string_view(text));
}

XmlWriter& XmlWriter::text(std::string_view text) {
  close_start_tag();
  out_ += xml_escape(text);
  return *this;
}

XmlWriter& XmlWriter::raw(std::string_view markup) {
  close_start_tag();
  out_.append(markup);
  return *this;
}

XmlWriter& XmlWriter::newline() {
  close_start_tag();
  out_ += '\n';
  return *this;
}

XmlWriter& XmlWriter::end() {
  if (stack_.empty()) throw std::logic_error("XmlWriter: end() without start()");
  if (in_start_tag_ && !html_) {
    out_ += "/>";
    in_start_tag_ = false;
  } else {
    close_start_tag();
    out_ += "</";
    out_ += stack_.back();
    out_ += '>';
  }
  stack_.pop_back();
  return *this;
}

}  // namespace memgate
