#include "core/drivers/http_request_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/model/errors.hpp"

namespace memgate {

using nlohmann::json;

namespace {

constexpr const char* kTexts = "{texts}";
constexpr const char* kText = "{text}";
// Stands in for the placeholder while the template is serialized: control characters come out
// as \u escapes, so these bytes cannot be produced by any other value of the template by chance.
constexpr const char* kMark = "\x01memgate-texts\x01";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// RFC 9110 token characters.
bool is_header_name(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

}  // namespace

bool is_header_value(const std::string& value) {
  return value.size() <= kMaxHeaderValueBytes &&
         std::none_of(value.begin(), value.end(),
                      [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

void split_body_template(const json& body, const std::string& file, const std::string& json_path,
                         HttpRequestSpec& out) {
  std::vector<std::string> at;  // JSON pointers (below json_path) of the placeholders
  bool one_text = false;
  const json flat = body.flatten();
  for (const auto& [pointer, value] : flat.items()) {
    if (!value.is_string()) continue;
    const auto& text = value.get_ref<const std::string&>();
    if (text == kTexts || text == kText) {
      at.push_back(pointer);
      one_text = text == kText;
    } else if (text.find("{env:") != std::string::npos) {
      throw InputError(file, json_path + pointer,
                       "{env:NAME} is allowed in request.headers values only, not in the body",
                       "a secret goes in a header (Authorization: Bearer {env:NAME})");
    } else if (text.find(kTexts) != std::string::npos || text.find(kText) != std::string::npos) {
      throw InputError(file, json_path + pointer,
                       "\"{texts}\" must be a whole string: it becomes the batch's JSON array",
                       R"(write "input": "{texts}", not text around it)");
    }
  }
  if (at.size() != 1) {
    throw InputError(
        file, json_path,
        at.empty()
            ? "the body template holds no \"{texts}\" (or \"{text}\"): where do the texts go?"
            : fmt::format("the body template holds {} texts placeholders ({}); it needs "
                          "exactly one",
                          at.size(), fmt::join(at, ", ")),
        R"(for example {"model": "m", "input": "{texts}"})");
  }
  json marked = body;
  marked[json::json_pointer(at.front())] = kMark;
  const std::string text = marked.dump();
  const std::string mark = json(kMark).dump();
  const std::size_t where = text.find(mark);
  if (where == std::string::npos || text.find(mark, where + 1) != std::string::npos) {
    throw InputError(file, json_path, "the body template holds memgate's own marker text",
                     "remove the \\u0001 characters from the template");
  }
  out.body_before = text.substr(0, where);
  out.body_after = text.substr(where + mark.size());
  out.one_text = one_text;
}

HttpRequestSpec parse_http_request(ObjectReader r, int batch_size) {
  HttpRequestSpec spec;
  spec.method = r.opt_enum("method", {"POST", "PUT", "PATCH"}).value_or(spec.method);
  if (const auto headers = r.opt_string_map("headers")) {
    std::vector<std::string> seen;  // lower-case names given
    for (const auto& [name, value] : *headers) {
      const std::string path = json_pointer_child(r.child_path("headers"), name);
      if (!is_header_name(name)) {
        throw InputError(r.file(), path, fmt::format("'{}' is not an HTTP header name", name),
                         "letters, digits and !#$%&'*+-.^_`|~ only");
      }
      const std::string key = lower(name);
      if (key == "host" || key == "content-length" || key == "transfer-encoding" ||
          key == "connection" || key == "keep-alive" || key == "te" || key == "trailer" ||
          key == "upgrade" || key == "expect") {
        throw InputError(r.file(), path, fmt::format("memgate sets the '{}' header itself", name),
                         "remove it from request.headers");
      }
      if (!is_header_value(value)) {
        throw InputError(r.file(), path,
                         "a header value may not hold line breaks or control "
                         "characters");
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        throw InputError(r.file(), path,
                         fmt::format("the '{}' header is given twice (names ignore case)", name));
      }
      seen.push_back(key);
      std::erase_if(spec.headers, [&](const auto& h) { return lower(h.first) == key; });
      spec.headers.emplace_back(name, value);
    }
  }
  if (const json* body = r.opt_raw("body")) {
    split_body_template(*body, r.file(), r.child_path("body"), spec);
    if (spec.one_text && batch_size != 1) {
      throw InputError(
          r.file(), r.child_path("body"),
          fmt::format("\"{{text}}\" stands for one text, but batch_size is {}", batch_size),
          "set batch_size to 1, or use \"{texts}\" for an array");
    }
  }
  r.reject_unknown_keys();
  return spec;
}

HttpResponseSpec parse_http_response(ObjectReader r) {
  HttpResponseSpec spec;
  if (const json* status = r.opt_raw("status")) {
    if (!status->is_array() || status->empty() || status->size() > 64) {
      r.fail("status", "expected a list of 1 to 64 HTTP status codes", "for example [200, 201]");
    }
    for (std::size_t i = 0; i < status->size(); ++i) {
      const json& code = (*status)[i];
      if (!code.is_number_integer() || code.get<std::int64_t>() < 200 ||
          code.get<std::int64_t>() > 599) {
        throw InputError(
            r.file(), json_pointer_child(r.child_path("status"), std::to_string(i)),
            fmt::format("expected a final HTTP status code (200 to 599), got {}", code.dump()));
      }
      spec.statuses.push_back(code.get<int>());
    }
  }
  if (auto pointer = r.opt_string("count_pointer")) {
    try {
      json::json_pointer parsed(*pointer);
    } catch (const json::exception&) {
      r.fail("count_pointer", fmt::format("'{}' is not a JSON pointer", *pointer),
             R"(a JSON pointer (RFC 6901) starts with '/': "/data", "/embeddings")");
    }
    spec.count_pointer = std::move(pointer);
  }
  r.reject_unknown_keys();
  return spec;
}

}  // namespace memgate
