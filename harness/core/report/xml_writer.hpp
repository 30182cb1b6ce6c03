#pragma once

// The one writer of XML, XHTML and SVG in memgate (as Catch2's XmlWriter): every text and
// attribute goes through escape(), so scenario names, descriptions and SUT output (untrusted
// text) can never become markup. The result is well-formed XML.

#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// &, <, >, " and ' as entities; characters XML forbids (control characters but tab, newline and
// carriage return) and invalid UTF-8 bytes become U+FFFD. The secrets memgate knows are masked
// first (core/model/secret_mask.hpp).
std::string xml_escape(std::string_view text);

class XmlWriter {
 public:
  // html_compatible: an empty element is written <tag></tag>, never <tag/>, which an HTML
  // parser would take for an open tag (<td/>); the document stays well-formed XML either way.
  explicit XmlWriter(std::string& out, bool html_compatible = false)
      : out_(out), html_(html_compatible) {}
  ~XmlWriter() = default;

  XmlWriter& start(std::string_view tag);                            // <tag
  XmlWriter& attr(std::string_view name, std::string_view value);    // name="value"
  XmlWriter& attr(std::string_view name, double value);              // up to 3 decimals
  XmlWriter& text(std::string_view text);                            // escaped
  XmlWriter& end();                                                  // closes the last start
  // <tag>text</tag>
  XmlWriter& element(std::string_view tag, std::string_view text) { return start(tag).text(text).end(); }
  // Trusted markup written as is: memgate's own constants (DOCTYPE, CSS), never data.
  XmlWriter& raw(std::string_view markup);
  XmlWriter& newline();

  // Elements not closed yet (0 when the document is complete).
  std::size_t open_elements() const { return stack_.size(); }

 private:
  void close_start_tag();

  std::string& out_;
  std::vector<std::string> stack_;
  bool in_start_tag_ = false;
  bool html_;
};

}  // namespace memgate
