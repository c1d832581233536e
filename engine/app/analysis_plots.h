// The pictures of `tensorhaus analyze --plots DIR`: a WeightAnalysis turned into plain series
// for the plot module. Contract: writes the files listed in docs/analysis.md ("Pictures") —
// spectra per role, α and tension across depth, the input-norm PCA behind the tonality, the
// input-norm heat map — skipping a picture whose data the model does not have; the same
// analysis gives byte-identical files. Thread-safe; not realtime-safe.
#pragma once

#include <filesystem>
#include <vector>

#include "analysis/weight_analysis.h"

namespace th::app {

// Creates dir when needed; returns the files written, in writing order. Throws th::InputError
// naming the folder or file when it cannot be written.
std::vector<std::filesystem::path> write_analysis_plots(const analysis::WeightAnalysis& a,
                                                        const std::filesystem::path& dir);

}  // namespace th::app
