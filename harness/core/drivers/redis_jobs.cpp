#include "core/drivers/redis_jobs.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace memgate {

namespace {

std::optional<std::int64_t> digits(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

JobTemplate::JobTemplate(std::string_view text) {
  static constexpr std::pair<std::string_view, Part> kNames[] = {
      {"{job_id}", Part::job_id},
      {"{enqueued_us}", Part::enqueued_us},
      {"{text_json}", Part::text_json}};
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    for (const auto& [name, part] : kNames) {
      if (text.substr(i, name.size()) == name) {
        if (!literal.empty()) parts_.emplace_back(Part::literal, std::move(literal));
        literal.clear();
        parts_.emplace_back(part, std::string());
        i += name.size();
        matched = true;
        break;
      }
    }
    if (!matched) literal += text[i++];
  }
  if (!literal.empty()) parts_.emplace_back(Part::literal, std::move(literal));
}

void JobTemplate::render(std::string& out, std::int64_t job_id, std::int64_t enqueued_us,
                         std::string_view text_json) const {
  char number[24];
  for (const auto& [part, literal] : parts_) {
    switch (part) {
      case Part::literal:
        out += literal;
        break;
      case Part::job_id:
      case Part::enqueued_us: {
        const auto [end, ec] = std::to_chars(number, number + sizeof number,
                                             part == Part::job_id ? job_id : enqueued_us);
        out.append(number, end);
        break;
      }
      case Part::text_json:
        out += text_json;
        break;
    }
  }
}

std::string JobTemplate::default_text(const std::string& payload, bool with_id) {
  if (!with_id) return payload;
  return R"({"id":"{job_id}","payload":")" + payload + "\"}";
}

std::optional<std::int64_t> parse_ack(std::string_view ack) {
  if (auto id = digits(ack)) return id;
  if (ack.empty() || ack.front() != '{') return std::nullopt;
  const nlohmann::json job = nlohmann::json::parse(ack, nullptr, /*allow_exceptions=*/false);
  if (!job.is_object()) return std::nullopt;
  const auto it = job.find("id");
  if (it == job.end()) return std::nullopt;
  if (it->is_number_unsigned()) return static_cast<std::int64_t>(it->get<std::uint64_t>());
  if (it->is_string()) return digits(it->get<std::string>());
  return std::nullopt;
}

}  // namespace memgate
