// Test support: locating ../shared/data and the built tensorhaus binary; scratch folders,
// variants of a test model, environment switches and array comparison.
// Contract: shared_data() returns the path of a file under ../shared/data (or $TH_SHARED_DATA).
// When it is absent, outside CI the test prints why and exits with TH_SKIP_CODE (ctest reports
// it skipped); with CI=true the test fails.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace th::test {

inline std::filesystem::path shared_data(const std::string& rel) {
  const char* env = std::getenv("TH_SHARED_DATA");
  std::filesystem::path p = std::filesystem::path(env ? env : TH_SHARED_DATA_DEFAULT) / rel;
  if (std::filesystem::exists(p)) return p;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("shared test data missing under CI: " << p);
  std::fprintf(stderr, "SKIP: needs shared test data %s (absent in this checkout)\n", p.c_str());
  std::exit(TH_SKIP_CODE);
}

inline std::filesystem::path source_dir() {
  return TH_SOURCE_DIR;
}
inline std::filesystem::path test_data(const std::string& rel) {
  return std::filesystem::path(TH_TEST_DATA) / rel;
}
inline std::filesystem::path tensorhaus_bin() {
  return std::filesystem::path(TH_BINARY_DIR) / "engine/app/tensorhaus";
}

// A fresh scratch folder under the build tree for one test.
inline std::filesystem::path scratch(const std::string& name) {
  auto p = std::filesystem::path(TH_BINARY_DIR) / "test-scratch" / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

// A variant of the model folder `src` (config.json and model.safetensors) in the fresh scratch
// folder `name`: its config.json with the text `from`, which must be there, replaced by `to`.
inline std::filesystem::path model_variant(const std::filesystem::path& src,
                                           const std::string& name, const std::string& from,
                                           const std::string& to) {
  const auto dir = scratch(name);
  std::filesystem::copy_file(src / "model.safetensors", dir / "model.safetensors");
  std::ifstream in(src / "config.json");
  std::string cfg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = cfg.find(from);
  REQUIRE(at != std::string::npos);
  cfg.replace(at, from.size(), to);
  std::ofstream(dir / "config.json") << cfg;
  return dir;
}

// Sets an environment variable while alive, then unsets it (switches the engine reads, such as
// TH_DECODE_FAST_PATH=0 or TH_FUSED_KERNELS=0).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// The largest |got − want|, divided by the largest |want| when `relative`.
inline double max_diff(const std::vector<float>& got, const std::vector<float>& want,
                       bool relative) {
  REQUIRE(got.size() == want.size());
  double e = 0, scale = 1e-30;
  for (std::size_t i = 0; i < want.size(); ++i) {
    e = std::max(e, static_cast<double>(std::abs(got[i] - want[i])));
    scale = std::max(scale, static_cast<double>(std::abs(want[i])));
  }
  return relative ? e / scale : e;
}

// n token ids spread over a vocabulary by a prime stride from `first`: a prompt for a model
// folder without a tokenizer.
inline std::vector<int64_t> spread_ids(int64_t n, int64_t vocab, int64_t first) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back((first + i * 7919) % vocab);
  return ids;
}

}  // namespace th::test
