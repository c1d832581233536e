// FeatureStore: named, immutable float arrays with shape and provenance — what the music side
// reads instead of weights. Contract: names are dotted paths (`layers.7.mlp.down_proj.row_norms`,
// `embed.singular_values`, `tonality.root`); a `*` in the layer position selects that feature
// for every layer, stacked in layer order. Unknown names throw th::InputError listing the closest
// names. A built store never changes, so any number of threads may read it. Saved as a
// safetensors file (F32 arrays; provenance JSON in the metadata) so a live set never recomputes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace th::analysis {

struct Provenance {
  std::string source;     // HF tensor name(s) the feature came from ("" for model-level)
  std::string statistic;  // e.g. "row_norms", "kurtosis", "tension"
  int64_t index = -1;     // layer index, −1 when not per layer
};

struct Feature {
  std::string name;
  std::vector<int64_t> shape;  // {} for a scalar
  std::vector<float> data;
  Provenance provenance;

  float scalar() const;  // throws th::InputError unless exactly one value. Thread-safe.
};

class FeatureStore {
 public:
  class Builder {
   public:
    // Not thread-safe. Adding an existing name replaces it.
    void add(std::string name, std::vector<int64_t> shape, std::vector<float> data, Provenance p);
    void add_scalar(std::string name, double v, Provenance p);
    void add_vector(std::string name, const std::vector<double>& v, Provenance p);
    FeatureStore build() &&;

   private:
    std::map<std::string, Feature, std::less<>> features_;
  };

  // Exact name or a `*` pattern. Throws th::InputError (with close matches) when nothing
  // matches, or when a pattern's matches have different shapes. Thread-safe; not realtime-safe.
  Feature get(std::string_view name) const;
  bool contains(std::string_view name) const;  // exact names only. Thread-safe.
  std::vector<std::string> names() const;      // sorted. Thread-safe.
  std::size_t size() const { return features_ ? features_->size() : 0; }

  // Thread-safe. save throws th::Error on I/O failure; load throws th::InputError on a file that
  // is not a feature store.
  void save(const std::filesystem::path& path) const;
  static FeatureStore load(const std::filesystem::path& path);

 private:
  std::shared_ptr<const std::map<std::string, Feature, std::less<>>> features_;
};

}  // namespace th::analysis
