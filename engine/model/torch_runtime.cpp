#include "model/torch_runtime.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <system_error>

#include "core/error.h"

#ifndef TH_TORCH_RUNTIME_BUILD_PATH
#define TH_TORCH_RUNTIME_BUILD_PATH ""
#endif

namespace th::model {
namespace {

constexpr const char* kModuleName = "libtensorhaus_torch.so";

std::vector<std::filesystem::path> candidates() {
  if (const char* env = std::getenv("TH_TORCH_RUNTIME"); env && *env) return {env};
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path() / kModuleName);
  if (*TH_TORCH_RUNTIME_BUILD_PATH) out.emplace_back(TH_TORCH_RUNTIME_BUILD_PATH);
  return out;
}

const TorchRuntime* load() {
  std::string tried;
  for (const auto& path : candidates()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      tried += fmt::format("\n  {}: no such file", path.string());
      continue;
    }
    // RTLD_LOCAL keeps torch's symbols out of the global namespace; the module is never closed
    // (torch's static state and thread pools live as long as the process).
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      throw Error(fmt::format("model runtime: cannot load {}: {}", path.string(), dlerror()), 1);
    using Entry = const TorchRuntime* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "th_torch_runtime"));
    if (!entry)
      throw Error(fmt::format("model runtime: {} has no th_torch_runtime entry", path.string()), 1);
    const TorchRuntime* rt = entry();
    if (rt->abi != kTorchRuntimeAbi)
      throw Error(fmt::format("model runtime: {} is from another build (interface {}, expected "
                              "{}); rebuild tensorhaus",
                              path.string(), rt->abi, kTorchRuntimeAbi),
                  1);
    return rt;
  }
  throw Error(fmt::format("model runtime: {} not found (set TH_TORCH_RUNTIME to its path); "
                          "looked at:{}",
                          kModuleName, tried),
              1);
}

}  // namespace

const TorchRuntime& torch_runtime() {
  // After a failed load the pointer stays null and the next call tries again, so a module
  // installed later is found without restarting a live set.
  static std::mutex m;
  static const TorchRuntime* rt = nullptr;
  std::lock_guard lock(m);
  if (!rt) rt = load();
  return *rt;
}

PocketReport train_pocket(const PocketOptions& opt) {
  return torch_runtime().train_pocket(opt);
}

double pocket_validation_loss(const std::filesystem::path& model_dir,
                              const std::vector<Document>& docs,
                              const std::filesystem::path& scratch) {
  return torch_runtime().pocket_validation_loss(model_dir, docs, scratch);
}

std::string pocket_continue(const std::filesystem::path& model_dir, const std::string& prompt,
                            int64_t n, const std::filesystem::path& scratch) {
  return torch_runtime().pocket_continue(model_dir, prompt, n, scratch);
}

std::string pocket_continue_sampled(const std::filesystem::path& model_dir,
                                    const std::string& prompt, int64_t n, double temperature,
                                    int64_t top_k, uint64_t seed,
                                    const std::filesystem::path& scratch) {
  return torch_runtime().pocket_continue_sampled(model_dir, prompt, n, temperature, top_k, seed,
                                                 scratch);
}

double matmul_gflops(int64_t m, int64_t k, int64_t n, ComputeDType dtype, MatmulPath path,
                     int reps) {
  return torch_runtime().matmul_gflops(m, k, n, dtype, path, reps);
}

}  // namespace th::model
