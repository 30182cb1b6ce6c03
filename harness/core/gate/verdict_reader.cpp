// verdict_from_json: the inverse of verdict_to_json, for reports read back by `memgate merge`.

#include <stdexcept>

#include "core/gate/gate.hpp"
#include "core/model/json_reader.hpp"

namespace memgate {

namespace {

// The enum value whose to_string() is `name`; the reader has already limited name to those.
template <typename Enum, std::size_t N>
Enum enum_named(const std::string& name, const Enum (&all)[N]) {
  for (Enum e : all) {
    if (name == to_string(e)) return e;
  }
  throw std::logic_error("enum_named: '" + name + "' is not a name of the enum");
}

template <typename Enum, std::size_t N>
std::vector<std::string> enum_names(const Enum (&all)[N]) {
  std::vector<std::string> out;
  for (Enum e : all) out.emplace_back(to_string(e));
  return out;
}

constexpr CheckStatus kCheckStatuses[] = {CheckStatus::pass,        CheckStatus::regressed,
                                          CheckStatus::improved,    CheckStatus::inconclusive,
                                          CheckStatus::warning,     CheckStatus::unjudged,
                                          CheckStatus::no_baseline, CheckStatus::no_data};
constexpr VerdictStatus kVerdictStatuses[] = {
    VerdictStatus::pass,        VerdictStatus::regressed,      VerdictStatus::improved,
    VerdictStatus::no_baseline, VerdictStatus::stale_baseline, VerdictStatus::inconclusive};

// A number or null (verdict_to_json writes null for a value that does not exist).
std::optional<double> opt_number_or_null(ObjectReader& r, const char* key) {
  const nlohmann::json* v = r.opt_raw(key);
  if (!v || v->is_null()) return std::nullopt;
  return r.get_number(key, -1e300, 1e300);
}

}  // namespace

Verdict verdict_from_json(const nlohmann::json& document, const std::string& file,
                          const std::string& path) {
  ObjectReader r(document, path, file);
  Verdict v;
  v.status = enum_named(r.get_enum("status", enum_names(kVerdictStatuses)), kVerdictStatuses);
  for (ObjectReader& c : r.get_object_array("checks")) {
    Check check;
    check.metric = c.get_string("metric");
    check.status = enum_named(c.get_enum("status", enum_names(kCheckStatuses)), kCheckStatuses);
    check.budget = c.opt_bool("budget").value_or(false);
    check.baseline = opt_number_or_null(c, "baseline");
    check.current = opt_number_or_null(c, "current");
    check.change = opt_number_or_null(c, "change");
    check.change_pct = opt_number_or_null(c, "change_pct");
    check.p_value = opt_number_or_null(c, "p_value");
    check.threshold = c.opt_string("threshold").value_or("");
    check.reason = c.opt_string("reason").value_or("");
    check.provisional = c.opt_bool("provisional").value_or(false);
    v.checks.push_back(std::move(check));
  }
  v.notes = r.opt_string_array("notes", 0, 10000).value_or(std::vector<std::string>{});
  v.same_machine = r.opt_bool("same_machine").value_or(true);
  v.current_runs = static_cast<int>(r.opt_int("current_runs", 0, 1'000'000).value_or(0));
  return v;
}

}  // namespace memgate
