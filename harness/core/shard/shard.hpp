#pragma once

// Splitting a list of scenarios into N disjoint parts (`--shard I/N`), so that an existing engine
// (a CI matrix, Kubernetes Indexed Jobs) runs them in parallel and `memgate merge` joins them.

#include <string>
#include <vector>

namespace memgate {

struct Scenario;

// The I-th of N parts, 1 <= index <= count.
struct Shard {
  int index = 1;
  int count = 1;
};

constexpr int kMaxShards = 1000;

// Reads "I/N" (1 <= I <= N <= kMaxShards). Throws UsageError (exit 2) saying what is wrong.
Shard parse_shard(const std::string& text);

// "I/N", as parse_shard reads it.
std::string to_string(const Shard& shard);

struct ShardItem {
  std::string name;      // unique in the list
  double planned_s = 0;  // how long it is expected to take, for balance
};

// The shard (1-based) of every item, in the items' order. Every item is in exactly one shard;
// the split depends only on the set of (name, planned_s), not on the items' order, so every
// shard of a CI matrix computes the same split from the same list. Longest first, each to the
// shard with the least planned time so far (ties: fewer items, then the lower index; equal times:
// by name): the planned times of two shards differ by at most the longest item. Shards past the
// number of items stay empty. Throws std::invalid_argument on duplicate names or count < 1.
std::vector<int> assign_shards(const std::vector<ShardItem>& items, int count);

// What one scenario is planned to take, in seconds: `repeat` times its phases (idle, warm-up,
// load, cool-down); a load bounded by operations or by its command's life counts with its time
// bound (phases.load_timeout_s); a sweep, every value's. An estimate for balance, not a promise.
double planned_seconds(const Scenario& scenario, int repeat);

}  // namespace memgate
