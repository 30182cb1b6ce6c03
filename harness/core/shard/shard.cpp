#include "core/shard/shard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <set>
#include <stdexcept>

#include "core/model/errors.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

namespace {

// A whole decimal number, nothing around it.
bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UsageError(fmt::format("--shard {}: {}", text, why),
                      fmt::format("write I/N with 1 <= I <= N <= {}: --shard 2/4 runs the second "
                                  "of four parts",
                                  kMaxShards));
  };
  const auto slash = text.find('/');
  Shard shard;
  if (slash == std::string::npos ||
      !parse_int(std::string_view(text).substr(0, slash), shard.index) ||
      !parse_int(std::string_view(text).substr(slash + 1), shard.count)) {
    throw bad("expected two whole numbers I/N");
  }
  if (shard.count < 1 || shard.count > kMaxShards) {
    throw bad(fmt::format("the number of shards must be 1 to {}", kMaxShards));
  }
  if (shard.index < 1 || shard.index > shard.count) {
    throw bad(fmt::format("the shard must be 1 to {} (shards count from 1)", shard.count));
  }
  return shard;
}

std::string to_string(const Shard& shard) {
  return fmt::format("{}/{}", shard.index, shard.count);
}

std::vector<int> assign_shards(const std::vector<ShardItem>& items, int count) {
  if (count < 1) throw std::invalid_argument("assign_shards: count must be at least 1");
  std::set<std::string> names;
  for (const auto& item : items) {
    if (!names.insert(item.name).second) {
      throw std::invalid_argument("assign_shards: duplicate name " + item.name);
    }
  }
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (items[a].planned_s != items[b].planned_s) return items[a].planned_s > items[b].planned_s;
    return items[a].name < items[b].name;
  });
  // Per shard: planned seconds so far, then items so far (so that items planned at 0 s still
  // spread); min_element takes the first of equals: the lower index.
  std::vector<std::pair<double, std::size_t>> load(static_cast<std::size_t>(count), {0.0, 0});
  std::vector<int> shard_of(items.size(), 0);
  for (const std::size_t i : order) {
    const auto least = std::min_element(load.begin(), load.end());
    least->first += items[i].planned_s;
    ++least->second;
    shard_of[i] = static_cast<int>(least - load.begin()) + 1;
  }
  return shard_of;
}

double planned_seconds(const Scenario& scenario, int repeat) {
  if (scenario.sweep) {  // every value's scenario, `repeat` times
    double sum = 0;
    for (const auto& variant : scenario.sweep->variants) sum += planned_seconds(*variant, repeat);
    return sum;
  }
  const PhasesSpec& p = scenario.phases;
  const double load_s = p.load_s ? *p.load_s : p.load_timeout_s;
  return std::max(repeat, 1) * (p.idle_s + p.warmup_s + load_s + p.cooldown_s);
}

}  // namespace memgate
