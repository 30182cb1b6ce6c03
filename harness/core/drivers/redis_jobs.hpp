#pragma once

// The jobs of a Redis work queue whose consumer is the SUT (producer-only mode): rendering a job
// from its template, and reading the job id back from an acknowledgement. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// A job template: "{job_id}", "{enqueued_us}" and "{text_json}" are replaced; nothing else is
// (every other brace is literal JSON).
class JobTemplate {
 public:
  explicit JobTemplate(std::string_view text);

  // Appends the job to out. text_json: the next text as a JSON string (with its quotes).
  void render(std::string& out, std::int64_t job_id, std::int64_t enqueued_us,
              std::string_view text_json) const;

  // The default job when the scenario gives no template: `payload` as it is, or, when acks must
  // name the job, {"id":"{job_id}","payload":"<payload>"}.
  static std::string default_text(const std::string& payload, bool with_id);

 private:
  enum class Part { literal, job_id, enqueued_us, text_json };
  std::vector<std::pair<Part, std::string>> parts_;
};

// The job id an acknowledgement names: the id itself ("42"), or a job as JSON whose "id" is the
// id as a number or a string of digits ({"id":"42",...}). nullopt for anything else.
std::optional<std::int64_t> parse_ack(std::string_view ack);

}  // namespace memgate
