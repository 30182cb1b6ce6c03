#pragma once

// A latency histogram with log-spaced buckets (Debian has no HdrHistogram C library): values
// below 128 are exact; above, each power of two is split into 64 buckets, so a reported quantile
// is within 1/64 (1.6%) of the true value. Histograms of different threads merge by adding
// counts: quantiles of the merge are those of all the values together.

#include <array>
#include <cstdint>

namespace memgate {

class LatencyHistogram {
 public:
  // Values are in nanoseconds; negative values count as 0. Up to 2^62 ns.
  void record(std::int64_t ns);
  void merge(const LatencyHistogram& other);
  void reset();

  std::int64_t count() const { return count_; }
  std::int64_t max_ns() const { return max_; }
  std::int64_t min_ns() const { return count_ ? min_ : 0; }

  // The value at quantile q in [0, 1] (nearest rank): the middle of its bucket, never above the
  // largest value recorded. 0 when empty.
  std::int64_t quantile_ns(double q) const;

  // Bucket arithmetic, public for tests.
  static int bucket_of(std::int64_t ns);
  static std::int64_t bucket_low(int bucket);   // smallest value of the bucket
  static std::int64_t bucket_high(int bucket);  // largest value of the bucket

 private:
  static constexpr int kLinear = 128;       // exact buckets 0..127
  static constexpr int kSubBuckets = 64;    // per power of two above
  static constexpr int kBuckets = kLinear + 56 * kSubBuckets;
  std::array<std::int64_t, kBuckets> counts_{};
  std::int64_t count_ = 0;
  std::int64_t max_ = 0;
  std::int64_t min_ = 0;
};

}  // namespace memgate
