#include "core/stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace memgate {

int LatencyHistogram::bucket_of(std::int64_t ns) {
  if (ns < kLinear) return static_cast<int>(std::max<std::int64_t>(ns, 0));
  const auto v = static_cast<std::uint64_t>(ns);
  const int shift = std::bit_width(v) - 7;  // >= 1: keeps the top 7 bits (64..127)
  const int mantissa = static_cast<int>(v >> shift);
  return std::min(kLinear + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets), kBuckets - 1);
}

std::int64_t LatencyHistogram::bucket_low(int bucket) {
  if (bucket < kLinear) return bucket;
  const int shift = (bucket - kLinear) / kSubBuckets + 1;
  const std::int64_t mantissa = (bucket - kLinear) % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

std::int64_t LatencyHistogram::bucket_high(int bucket) {
  if (bucket < kLinear) return bucket;
  const int shift = (bucket - kLinear) / kSubBuckets + 1;
  return bucket_low(bucket) + (std::int64_t{1} << shift) - 1;
}

void LatencyHistogram::record(std::int64_t ns) {
  ns = std::max<std::int64_t>(ns, 0);
  ++counts_[static_cast<std::size_t>(bucket_of(ns))];
  min_ = count_ == 0 ? ns : std::min(min_, ns);
  max_ = std::max(max_, ns);
  ++count_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

void LatencyHistogram::reset() { *this = LatencyHistogram{}; }

std::int64_t LatencyHistogram::quantile_ns(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(q * count_)));
  std::int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= rank) {
      const std::int64_t mid = bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace memgate
