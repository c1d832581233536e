// The JSON report of `tensorhaus analyze` (docs/analysis.md "Report"). Contract: one entry per
// analysed tensor in role order, every statistic as a JSON number (doubles at full precision).
#pragma once

#include <string>

#include "analysis/weight_analysis.h"

namespace th::analysis {

// Thread-safe; not realtime-safe. indent < 0: compact.
std::string weight_report_json(const WeightAnalysis& a, int indent = 1);

}  // namespace th::analysis
