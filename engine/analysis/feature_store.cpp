#include "analysis/feature_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "model/safetensors.h"

namespace th::analysis {
namespace {

constexpr const char* kFormat = "tensorhaus-features";
constexpr const char* kVersion = "1";

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// "layers.*.x" → (true, "layers\.(\d+)\.x"); the layer number is the sort key.
bool is_pattern(std::string_view name) {
  return name.find('*') != std::string_view::npos;
}

std::regex pattern_regex(std::string_view name) {
  std::string re;
  for (char c : name) {
    if (c == '*')
      re += "(\\d+)";
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
      re += c;
    else
      re += std::string("\\") + c;
  }
  return std::regex(re);
}

}  // namespace

float Feature::scalar() const {
  if (data.size() != 1)
    throw bad_field("feature store", name, "a scalar", fmt::format("{} values", data.size()));
  return data[0];
}

void FeatureStore::Builder::add(std::string name, std::vector<int64_t> shape,
                                std::vector<float> data, Provenance p) {
  Feature f{name, std::move(shape), std::move(data), std::move(p)};
  features_[std::move(name)] = std::move(f);
}

void FeatureStore::Builder::add_scalar(std::string name, double v, Provenance p) {
  add(std::move(name), {}, {static_cast<float>(v)}, std::move(p));
}

void FeatureStore::Builder::add_vector(std::string name, const std::vector<double>& v,
                                       Provenance p) {
  add(std::move(name), {static_cast<int64_t>(v.size())}, std::vector<float>(v.begin(), v.end()),
      std::move(p));
}

FeatureStore FeatureStore::Builder::build() && {
  FeatureStore s;
  s.features_ =
      std::make_shared<const std::map<std::string, Feature, std::less<>>>(std::move(features_));
  return s;
}

bool FeatureStore::contains(std::string_view name) const {
  return features_ && features_->find(name) != features_->end();
}

std::vector<std::string> FeatureStore::names() const {
  std::vector<std::string> out;
  if (features_)
    for (const auto& [k, v] : *features_) out.push_back(k);
  return out;
}

Feature FeatureStore::get(std::string_view name) const {
  if (features_ && !is_pattern(name)) {
    if (auto it = features_->find(name); it != features_->end()) return it->second;
  } else if (features_) {
    const std::regex re = pattern_regex(name);
    std::vector<std::pair<int64_t, const Feature*>> hits;
    for (const auto& [k, f] : *features_) {
      std::smatch m;
      if (std::regex_match(k, m, re)) hits.emplace_back(std::stoll(m[1].str()), &f);
    }
    if (!hits.empty()) {
      std::sort(hits.begin(), hits.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      Feature out;
      out.name = std::string(name);
      out.shape = hits.front().second->shape;
      out.shape.insert(out.shape.begin(), static_cast<int64_t>(hits.size()));
      out.provenance.statistic = hits.front().second->provenance.statistic;
      for (const auto& [layer, f] : hits) {
        if (f->shape != hits.front().second->shape)
          throw bad_field(
              "feature store", name, "features of one shape across layers",
              fmt::format("{} has [{}] but {} has [{}]", f->name, fmt::join(f->shape, ", "),
                          hits.front().second->name, fmt::join(hits.front().second->shape, ", ")));
        out.data.insert(out.data.end(), f->data.begin(), f->data.end());
        out.provenance.source += (out.provenance.source.empty() ? "" : ",") + f->provenance.source;
      }
      return out;
    }
  }
  // Close matches: smallest edit distance first; a shared stem also counts.
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& n : names()) scored.emplace_back(edit_distance(name, n), n);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> close;
  for (const auto& [d, n] : scored)
    if (close.size() < 5 && d <= std::max<std::size_t>(3, name.size() / 3)) close.push_back(n);
  throw bad_field("feature store", name, "a known feature name",
                  close.empty()
                      ? fmt::format("no such feature ({} features)", size())
                      : fmt::format("no such feature; close matches: {}", fmt::join(close, ", ")));
}

void FeatureStore::save(const std::filesystem::path& path) const {
  std::vector<model::TensorData> tensors;
  nlohmann::json prov = nlohmann::json::object();
  if (features_)
    for (const auto& [k, f] : *features_) {
      tensors.push_back({k, model::DType::F32, f.shape, std::as_bytes(std::span(f.data))});
      prov[k] = {{"source", f.provenance.source},
                 {"statistic", f.provenance.statistic},
                 {"index", f.provenance.index}};
    }
  model::write_safetensors(
      path, tensors, {{"format", kFormat}, {"version", kVersion}, {"provenance", prov.dump()}});
}

FeatureStore FeatureStore::load(const std::filesystem::path& path) {
  auto file = model::SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  auto fmt_it = meta.find("format");
  if (fmt_it == meta.end() || fmt_it->second != kFormat)
    throw bad_field(path.string(), "__metadata__.format", kFormat,
                    fmt_it == meta.end() ? "nothing" : fmt_it->second);
  auto prov_it = meta.find("provenance");
  nlohmann::json prov =
      nlohmann::json::parse(prov_it == meta.end() ? "{}" : prov_it->second, nullptr, false);
  if (!prov.is_object())
    throw bad_field(path.string(), "__metadata__.provenance", "a JSON object", "invalid JSON");
  Builder b;
  for (const auto& t : file->tensors()) {
    Provenance p;
    if (auto it = prov.find(t.name); it != prov.end() && it->is_object()) {
      p.source = it->value("source", "");
      p.statistic = it->value("statistic", "");
      p.index = it->value("index", int64_t{-1});
    }
    b.add(t.name, t.shape, model::to_float(t), std::move(p));
  }
  return std::move(b).build();
}

}  // namespace th::analysis
