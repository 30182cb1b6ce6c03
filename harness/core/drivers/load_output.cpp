#include "core/drivers/load_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

namespace memgate {

namespace {

using nlohmann::json;

constexpr std::size_t kQuoteBytes = 200;

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string last_line(const std::vector<std::string>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!trim(*it).empty()) return trim(*it);
  }
  return "";
}

// The last line, quoted for a message: at most 200 bytes, control bytes as '?'.
std::string quote_last(const std::vector<std::string>& lines) {
  std::string line = last_line(lines);
  if (line.empty()) return "it printed nothing";
  const bool cut = line.size() > kQuoteBytes;
  line.resize(std::min(line.size(), kQuoteBytes));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return fmt::format("its last line: '{}{}'", line, cut ? "..." : "");
}

std::optional<std::int64_t> to_int(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<double> to_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double v = 0;
  in >> v;
  if (in.fail() || !in.eof() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "Socket errors: connect 0, read 1, write 0, timeout 0" -> the sum; nullopt when malformed.
std::optional<std::int64_t> wrk_socket_errors(const std::string& rest, json& details) {
  std::int64_t sum = 0;
  std::istringstream in(rest);
  for (std::string part; std::getline(in, part, ',');) {
    const auto w = words(part);
    if (w.size() != 2) return std::nullopt;
    const auto n = to_int(w[1]);
    if (!n) return std::nullopt;
    details["socket_errors"][w[0]] = *n;
    sum += *n;
  }
  return sum;
}

std::variant<LoadOutput, std::string> read_wrk(const std::vector<std::string>& lines) {
  LoadOutput out;
  std::optional<std::int64_t> requests;
  std::int64_t non_2xx = 0, socket_errors = 0;
  std::map<int, double> percentiles;  // 50 -> ms
  std::optional<double> max_ms;
  bool in_distribution = false;
  for (const auto& raw : lines) {
    const std::string line = trim(raw);
    const auto w = words(line);
    if (line == "Latency Distribution") {
      in_distribution = true;
      continue;
    }
    if (in_distribution && w.size() == 2 && w[0].size() > 1 && w[0].back() == '%') {
      const auto pct = to_int(w[0].substr(0, w[0].size() - 1));
      const auto ms = parse_wrk_duration_ms(w[1]);
      if (pct && ms) {
        percentiles[static_cast<int>(*pct)] = *ms;
        continue;
      }
    }
    in_distribution = false;
    if (w.size() == 5 && w[0] == "Latency" && line.find('%') != std::string::npos) {
      max_ms = parse_wrk_duration_ms(w[3]);  // Avg, Stdev, Max, +/- Stdev
    } else if (w.size() >= 4 && w[1] == "requests" && w[2] == "in") {
      requests = to_int(w[0]);
    } else if (line.rfind("Non-2xx or 3xx responses:", 0) == 0) {
      non_2xx = to_int(trim(line.substr(26))).value_or(0);
    } else if (line.rfind("Socket errors:", 0) == 0) {
      const auto sum = wrk_socket_errors(line.substr(14), out.details);
      if (!sum) return fmt::format("the wrk parser could not read '{}'", line.substr(0, 200));
      socket_errors = *sum;
    }
  }
  if (!requests) {
    return fmt::format(
        "the wrk parser found no 'N requests in' line in the load command's "
        "output; {}",
        quote_last(lines));
  }
  out.details["requests"] = *requests;
  out.details["non_2xx_3xx"] = non_2xx;
  out.ops = std::max<std::int64_t>(0, *requests - non_2xx);
  out.errors = non_2xx + socket_errors;
  if (percentiles.count(50) && percentiles.count(99)) {
    LatencySummary l;
    l.p50_ms = percentiles[50];
    l.p99_ms = percentiles[99];
    l.max_ms = max_ms;
    l.count = *requests;
    out.latency = l;
  }
  return out;
}

// One CSV line, quotes honoured ("a,b" is one field; "" inside quotes is a quote).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::variant<LoadOutput, std::string> read_redis_benchmark(const std::vector<std::string>& argv,
                                                           const std::vector<std::string>& lines) {
  std::int64_t per_test = 100000;  // redis-benchmark's default -n
  for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
    if (argv[i] != "-n") continue;
    const auto n = to_int(argv[i + 1]);
    if (!n)
      return fmt::format("the redis-benchmark parser needs a number after -n, got '{}'",
                         argv[i + 1]);
    per_test = *n;
  }
  std::vector<std::string> header;
  LoadOutput out;
  std::vector<std::map<std::string, double>> rows;
  for (const auto& raw : lines) {
    const auto fields = csv_fields(trim(raw));
    if (!fields.empty() && fields[0] == "test") {
      header = fields;
      continue;
    }
    if (header.empty() || fields.size() != header.size()) continue;
    std::map<std::string, double> row;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (const auto v = to_double(fields[i])) row[header[i]] = *v;
    }
    if (row.count("rps") == 0) continue;
    out.details["tests"][fields[0]] = row;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    return fmt::format(
        "the redis-benchmark parser found no --csv row (after a \"test\",\"rps\",... "
        "header) in the load command's output; {}",
        quote_last(lines));
  }
  out.ops = per_test * static_cast<std::int64_t>(rows.size());
  if (rows.size() == 1) {
    auto& r = rows.front();
    if (r.count("p50_latency_ms") && r.count("p99_latency_ms")) {
      LatencySummary l;
      l.p50_ms = r["p50_latency_ms"];
      l.p99_ms = r["p99_latency_ms"];
      if (r.count("p95_latency_ms")) l.p95_ms = r["p95_latency_ms"];
      if (r.count("max_latency_ms")) l.max_ms = r["max_latency_ms"];
      l.count = out.ops;
      out.latency = l;
    }
  }
  return out;
}

std::optional<double> ms_field(const json& o, const char* key) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_number() || it->get<double>() < 0) return std::nullopt;
  return it->get<double>();
}

std::variant<LoadOutput, std::string> read_json_line(const std::vector<std::string>& lines) {
  const std::string line = last_line(lines);
  const json doc = json::parse(line, nullptr, false);
  const auto fail = [&](const std::string& why) {
    return fmt::format("the json-line parser {}; {}", why, quote_last(lines));
  };
  if (!doc.is_object()) {
    return fail(
        "expected the load command's last line to be a JSON object such as "
        "{\"ops\": 1000, \"errors\": 0}");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "ops" && key != "errors" && key != "latency_ms") {
      return fail(
          fmt::format("found the unknown key '{}' (keys are ops, errors, latency_ms)", key));
    }
  }
  const auto count = [&](const char* key) -> std::optional<std::int64_t> {
    const auto it = doc.find(key);
    if (it == doc.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) return {};
    return it->get<std::int64_t>();
  };
  LoadOutput out;
  const auto ops = count("ops");
  if (!ops) return fail("expected \"ops\": a whole number of completed operations");
  out.ops = *ops;
  if (doc.contains("errors")) {
    const auto errors = count("errors");
    if (!errors) return fail("expected \"errors\": a whole number of failed operations");
    out.errors = *errors;
  }
  if (const auto it = doc.find("latency_ms"); it != doc.end()) {
    if (!it->is_object()) return fail("expected \"latency_ms\" to be an object");
    for (const auto& [key, value] : it->items()) {
      if (key != "p50" && key != "p95" && key != "p99" && key != "max") {
        return fail(fmt::format("found the unknown key 'latency_ms.{}' (p50, p95, p99, max)", key));
      }
      if (!ms_field(*it, key.c_str())) {
        return fail(fmt::format("expected latency_ms.{} to be milliseconds (a number >= 0)", key));
      }
    }
    const auto p50 = ms_field(*it, "p50"), p99 = ms_field(*it, "p99");
    if (!p50 || !p99) return fail("expected latency_ms to hold at least p50 and p99");
    LatencySummary l;
    l.p50_ms = *p50;
    l.p99_ms = *p99;
    l.p95_ms = ms_field(*it, "p95");
    l.max_ms = ms_field(*it, "max");
    l.count = out.ops;
    out.latency = l;
  }
  return out;
}

}  // namespace

std::optional<double> parse_wrk_duration_ms(const std::string& text) {
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}};
  for (const auto& [unit, ms] : kUnits) {
    if (text.size() <= unit.size() || text.compare(text.size() - unit.size(), unit.size(), unit))
      continue;
    const std::string number = text.substr(0, text.size() - unit.size());
    if (number.back() < '0' || number.back() > '9') continue;  // "ms" read as "s"
    if (const auto v = to_double(number)) return *v * ms;
  }
  return std::nullopt;
}

std::variant<LoadOutput, std::string> read_load_output(LoadParser parser,
                                                       const std::vector<std::string>& argv,
                                                       const std::vector<std::string>& lines) {
  switch (parser) {
    case LoadParser::wrk:
      return read_wrk(lines);
    case LoadParser::redis_benchmark:
      return read_redis_benchmark(argv, lines);
    case LoadParser::json_line:
      return read_json_line(lines);
    case LoadParser::none:
      break;
  }
  return LoadOutput{};
}

}  // namespace memgate
