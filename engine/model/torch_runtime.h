// The boundary between the torch-free model library and the torch runtime: the shared module
// libtensorhaus_torch.so (built from engine/model/torch/), loaded with dlopen on the first call
// that computes with a model. Commands that compose, render or play from cached features never
// load it, so they start without libtorch's static initialisation (≈0.75 s and 166 MB of
// resident memory here for `tensorhaus --help` when it was linked in).
// Contract: the module and this library come from the same build (checked by kTorchRuntimeAbi);
// types cross the boundary by value (same compiler, same libstdc++), exceptions too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/matmul_probe.h"
#include "model/pocket_eval.h"
#include "model/pocket_train.h"
#include "model/runner.h"

namespace th::model {

class WeightStore;

// One loaded model's computations. Token ids are validated by Runner before they get here.
class ForwardBackend {
 public:
  virtual ~ForwardBackend() = default;
  // Not thread-safe (torch's pool is shared). Allocates.
  virtual ForwardCapture forward(std::span<const int64_t> tokens,
                                 const CaptureRequest& what) const = 0;
  // Runner::logits_columns' contract. Not thread-safe. Allocates.
  virtual void logits_columns(std::span<const float> final_hidden, int64_t v0, int64_t v1,
                              std::span<float> out) const = 0;
  // Runner::generate's contract. Not thread-safe. Allocates.
  virtual std::vector<int64_t> generate(
      std::span<const int64_t> prompt, const GenerateOptions& opt,
      const std::function<bool(const GeneratedToken&)>& on_token) const = 0;
};

// Bump when a signature below changes.
inline constexpr int kTorchRuntimeAbi = 2;

// What the module exports (as `th_torch_runtime`), one entry per torch-backed public function.
struct TorchRuntime {
  int abi;
  // The store must outlive the backend (its tensors may view the mapping).
  std::unique_ptr<ForwardBackend> (*open_model)(const ModelConfig&, const ArchSpec&,
                                                const WeightStore&, ComputeDType);
  PocketReport (*train_pocket)(const PocketOptions&);
  double (*pocket_validation_loss)(const std::filesystem::path&, const std::vector<Document>&,
                                   const std::filesystem::path&);
  std::string (*pocket_continue)(const std::filesystem::path&, const std::string&, int64_t,
                                 const std::filesystem::path&);
  std::string (*pocket_continue_sampled)(const std::filesystem::path&, const std::string&, int64_t,
                                         double, int64_t, uint64_t, const std::filesystem::path&);
  double (*matmul_gflops)(int64_t, int64_t, int64_t, ComputeDType, MatmulPath, int);
};

// Loads the module once ($TH_TORCH_RUNTIME, else beside the executable, else where the build
// put it) and returns its table. Throws th::Error naming the file and the loader's message when
// it cannot. Thread-safe.
const TorchRuntime& torch_runtime();

}  // namespace th::model
