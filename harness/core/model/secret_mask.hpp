#pragma once

// The secrets memgate knows (the value of every {env:NAME} a scenario's request headers name)
// are masked in everything memgate writes or prints: reports of every format, logs it copies or
// quotes, baselines, history, console. The SUT's own sut.log is the one exception: it is what
// the SUT printed, byte for byte.
//
// The registry is process-wide: the CLI registers a scenario's secrets when it loads it, before
// any run starts, and every sink (text_file.hpp's writers, xml_escape, markdown_cell, the
// console, the output pumps) masks through it. A secret is replaced by "{env:NAME}", in each form
// it can take in text memgate writes or quotes: as written, JSON-escaped (with "\/" too, as
// servers escape it), XML/HTML-escaped and percent-encoded. memgate's own HTML and Markdown
// writers (xml_escape, markdown_cell) mask before they escape.

#include <cstddef>
#include <string>
#include <string_view>

namespace memgate::secrets {

// Secrets shorter than this are refused where they are read (check_run_inputs): masking a short
// value would mask ordinary text ("42" in every figure).
inline constexpr std::size_t kMinSecretBytes = 8;

// Registers the value of {env:name}. Values shorter than kMinSecretBytes are ignored (the caller
// refuses them). Thread-safe; registering the same value twice is harmless.
void add(const std::string& name, const std::string& value);

// True once a secret is registered.
bool any();

// text with every form of every secret replaced by "{env:NAME}". Plain text: the console, logs,
// Markdown and HTML (where the replacement holds no markup character).
std::string mask(std::string_view text);

// The same for the text of a JSON document: only the insides of its string literals change, so
// the document stays valid JSON whatever a secret looks like.
std::string mask_json(std::string_view text);

// The longest form of any secret, in bytes (0 without secrets): a stream masked in pieces keeps
// this many bytes minus one back, so that no secret is cut between two pieces.
std::size_t longest_form_bytes();

// Forgets every secret (tests).
void clear();

}  // namespace memgate::secrets
