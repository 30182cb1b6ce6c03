#include "core/model/series.hpp"

namespace memgate {

Series slice(const Series& series, double start_ms, double end_ms) {
  Series out;
  for (const Sample& s : series) {
    if (s.t_ms >= start_ms && s.t_ms <= end_ms) out.push_back(s);
  }
  return out;
}

}  // namespace memgate
