// INTERNAL to engine/model/torch: the implementations behind TorchRuntime's entries (the
// torch-free library forwards the public functions of runner.h, pocket_train.h, pocket_eval.h
// and matmul_probe.h to these through the module's table). Same contracts as those headers.
#pragma once

#include "model/torch_runtime.h"

namespace th::model::torch_rt {

// The backend keeps references to c and a: the caller's Runner owns both and outlives it.
std::unique_ptr<ForwardBackend> open_model(const ModelConfig& c, const ArchSpec& a,
                                           const WeightStore& ws, ComputeDType dtype);
PocketReport train_pocket(const PocketOptions& opt);
double pocket_validation_loss(const std::filesystem::path& model_dir,
                              const std::vector<Document>& docs,
                              const std::filesystem::path& scratch);
std::string pocket_continue(const std::filesystem::path& model_dir, const std::string& prompt,
                            int64_t n, const std::filesystem::path& scratch);
std::string pocket_continue_sampled(const std::filesystem::path& model_dir,
                                    const std::string& prompt, int64_t n, double temperature,
                                    int64_t top_k, uint64_t seed,
                                    const std::filesystem::path& scratch);
double matmul_gflops(int64_t m, int64_t k, int64_t n, ComputeDType dtype, MatmulPath path,
                     int reps);

}  // namespace th::model::torch_rt
