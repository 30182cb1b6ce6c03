#pragma once

// A sweep's plot of one memory metric against the swept value, as inline SVG: each valid run a
// dot, the fitted line (Theil–Sen) and the band of its slope's 95% interval (the lines of the
// interval's two slopes through the fit at the median value: it shows the slope's uncertainty,
// not the intercept's).

#include <string>
#include <vector>

#include "core/metrics/per_unit.hpp"
#include "core/model/run_record.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

void write_sweep_plot(XmlWriter& xml, const std::vector<RunRecord>& runs, const PerUnit& figure,
                      const std::string& key);

}  // namespace memgate
