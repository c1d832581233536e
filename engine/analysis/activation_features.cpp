#include "analysis/activation_features.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/pca.h"

namespace th::analysis {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Dims {
  int64_t layers, tokens, dim;
};

Dims hidden_dims(const model::Array& hidden) {
  if (hidden.shape.size() != 3)
    throw std::invalid_argument("activation features: hidden must be [L+1, T, D]");
  return {hidden.shape[0], hidden.shape[1], hidden.shape[2]};
}

// Layer l's [T, D] token matrix.
Eigen::Map<const RowMat> layer_matrix(const model::Array& hidden, const Dims& d, int64_t l) {
  return {hidden.data.data() + l * d.tokens * d.dim, d.tokens, d.dim};
}

}  // namespace

std::vector<float> row_means(std::span<const float> x, int64_t rows, int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(rows), 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += x[static_cast<std::size_t>(r * cols + c)];
    out[static_cast<std::size_t>(r)] = cols > 0 ? static_cast<float>(s / cols) : 0.f;
  }
  return out;
}

std::vector<float> hidden_norms(const model::Array& hidden) {
  const Dims d = hidden_dims(hidden);
  std::vector<float> out(static_cast<std::size_t>(d.layers * d.tokens));
  for (int64_t l = 0; l < d.layers; ++l) {
    const auto m = layer_matrix(hidden, d, l);
    for (int64_t t = 0; t < d.tokens; ++t)
      out[static_cast<std::size_t>(l * d.tokens + t)] = m.row(t).cast<double>().norm();
  }
  return out;
}

std::vector<float> block_norms(const model::Array& hidden, int64_t blocks) {
  const Dims d = hidden_dims(hidden);
  const int64_t bs = std::max<int64_t>(1, d.dim / blocks);
  std::vector<float> out(static_cast<std::size_t>(d.layers * blocks), 0.f);
  for (int64_t l = 0; l < d.layers; ++l) {
    const auto m = layer_matrix(hidden, d, l);
    for (int64_t b = 0; b < blocks && (b + 1) * bs <= d.dim; ++b)
      out[static_cast<std::size_t>(l * blocks + b)] =
          static_cast<float>(m.middleCols(b * bs, bs).cast<double>().norm());
  }
  return out;
}

std::vector<float> hidden_sparsity(const model::Array& hidden) {
  const Dims d = hidden_dims(hidden);
  std::vector<float> out(static_cast<std::size_t>(d.layers * d.tokens), 0.f);
  for (int64_t l = 0; l < d.layers; ++l) {
    const auto m = layer_matrix(hidden, d, l).cast<double>();
    const double mean = m.mean();
    const double var = (m.array() - mean).square().mean();  // numpy std: population
    const double thr = 0.1 * std::sqrt(var);
    for (int64_t t = 0; t < d.tokens; ++t)
      out[static_cast<std::size_t>(l * d.tokens + t)] =
          static_cast<float>((m.row(t).array().abs() < thr).count()) / static_cast<float>(d.dim);
  }
  return out;
}

std::vector<float> pca_angles(const model::Array& hidden) {
  const Dims d = hidden_dims(hidden);
  std::vector<float> out(static_cast<std::size_t>(d.layers * d.tokens), 0.f);
  if (d.tokens < 2) return out;
  for (int64_t l = 0; l < d.layers; ++l) {
    const auto m = layer_matrix(hidden, d, l);
    const MatrixView view{{m.data(), static_cast<std::size_t>(d.tokens * d.dim)}, d.tokens, d.dim};
    const Pca p = pca(view, 2);
    const Eigen::RowVectorXd mean = m.cast<double>().colwise().mean();
    const Eigen::Map<const Eigen::RowVectorXd> c1(p.components[0].data(), d.dim);
    const Eigen::Map<const Eigen::RowVectorXd> c2(p.components[1].data(), d.dim);
    for (int64_t t = 0; t < d.tokens; ++t) {
      const Eigen::RowVectorXd x = m.row(t).cast<double>() - mean;
      out[static_cast<std::size_t>(l * d.tokens + t)] =
          static_cast<float>(std::atan2(x.dot(c2), x.dot(c1)));
    }
  }
  return out;
}

std::vector<float> layer_singular_values(const model::Array& hidden, int64_t k) {
  const Dims d = hidden_dims(hidden);
  std::vector<float> out(static_cast<std::size_t>(d.layers * k), 0.f);
  for (int64_t l = 0; l < d.layers; ++l) {
    const Eigen::MatrixXd m = layer_matrix(hidden, d, l).cast<double>();
    // The smaller Gram matrix has the same nonzero σ²; T ≪ D for a prompt.
    const Eigen::MatrixXd g =
        d.tokens <= d.dim ? Eigen::MatrixXd(m * m.transpose()) : Eigen::MatrixXd(m.transpose() * m);
    const Eigen::VectorXd ev =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(g, Eigen::EigenvaluesOnly).eigenvalues();
    for (int64_t i = 0; i < k && i < ev.size(); ++i)
      out[static_cast<std::size_t>(l * k + i)] =
          static_cast<float>(std::sqrt(std::max(ev[ev.size() - 1 - i], 0.0)));
  }
  return out;
}

std::vector<float> direction_projection(const model::Array& hidden, std::span<const float> r_hat) {
  const Dims d = hidden_dims(hidden);
  if (static_cast<int64_t>(r_hat.size()) != d.dim)
    throw std::invalid_argument("direction_projection: direction length differs from hidden size");
  const Eigen::Map<const Eigen::VectorXf> r(r_hat.data(), d.dim);
  std::vector<float> out(static_cast<std::size_t>(d.layers * d.tokens));
  for (int64_t l = 0; l < d.layers; ++l) {
    const auto m = layer_matrix(hidden, d, l);
    for (int64_t t = 0; t < d.tokens; ++t)
      out[static_cast<std::size_t>(l * d.tokens + t)] =
          static_cast<float>(m.row(t).cast<double>().dot(r.cast<double>()));
  }
  return out;
}

std::vector<float> masked_mean_pool(std::span<const float> x, std::span<const float> mask,
                                    int64_t n, int64_t t, int64_t d) {
  if (static_cast<int64_t>(x.size()) != n * t * d || static_cast<int64_t>(mask.size()) != n * t)
    throw std::invalid_argument("masked_mean_pool: sizes differ from [N, T, D] and [N, T]");
  std::vector<float> out(static_cast<std::size_t>(n * d), 0.f);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
    double count = 0;
    for (int64_t j = 0; j < t; ++j) {
      const double w = mask[static_cast<std::size_t>(i * t + j)];
      count += w;
      for (int64_t k = 0; k < d; ++k)
        sum[static_cast<std::size_t>(k)] += w * x[static_cast<std::size_t>((i * t + j) * d + k)];
    }
    for (int64_t k = 0; k < d; ++k)
      out[static_cast<std::size_t>(i * d + k)] =
          static_cast<float>(sum[static_cast<std::size_t>(k)] / std::max(count, 1e-9));
  }
  return out;
}

void add_activation_features(const model::ForwardCapture& cap, std::span<const int64_t> tokens,
                             const ActivationFeatureOptions& opt, FeatureStore::Builder& out) {
  const Dims d = hidden_dims(cap.hidden);
  const auto& p = opt.prefix;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, std::vector<float> data,
                 const char* statistic) {
    out.add(p + name, std::move(shape), std::move(data), Provenance{opt.source, statistic, -1});
  };
  add("tokens", {d.tokens}, std::vector<float>(tokens.begin(), tokens.end()), "token ids");
  auto norms = hidden_norms(cap.hidden);
  add("hidden_norm_mean", {d.layers}, row_means(norms, d.layers, d.tokens),
      "mean over tokens of ‖h‖");
  add("hidden_norms", {d.layers, d.tokens}, std::move(norms), "‖h[l,t]‖");
  add("hidden_sparsity", {d.layers, d.tokens}, hidden_sparsity(cap.hidden),
      "fraction |h| < 0.1·std(layer)");
  add("block_norms", {d.layers, kActivationBlocks}, block_norms(cap.hidden, kActivationBlocks),
      "Frobenius norm of dimension blocks");
  add("pca_angle", {d.layers, d.tokens}, pca_angles(cap.hidden), "atan2(PC2, PC1) per token");
  add("singular_values", {d.layers, kActivationSingularValues},
      layer_singular_values(cap.hidden, kActivationSingularValues),
      "singular values of the layer's [T, D] activations");

  if (cap.attn_entropy.shape.size() == 3) {
    const int64_t L = cap.attn_entropy.shape[0], H = cap.attn_entropy.shape[1],
                  T = cap.attn_entropy.shape[2];
    const auto& e = cap.attn_entropy.data;
    std::vector<float> toks(static_cast<std::size_t>(L * T), 0.f);  // mean over heads
    for (int64_t l = 0; l < L; ++l)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t t = 0; t < T; ++t)
          toks[static_cast<std::size_t>(l * T + t)] +=
              static_cast<float>(e[static_cast<std::size_t>((l * H + h) * T + t)] / H);
    add("attn_entropy", {L}, row_means(e, L, H * T),
        "attention entropy, mean over heads and queries");
    add("attn_entropy_heads", {L, H}, row_means(e, L * H, T), "attention entropy per head");
    add("attn_entropy_tokens", {L, T}, std::move(toks), "attention entropy per query token");
  }
  if (cap.mlp_sparsity.shape.size() == 2) {
    const int64_t L = cap.mlp_sparsity.shape[0], T = cap.mlp_sparsity.shape[1];
    add("mlp_sparsity", {L}, row_means(cap.mlp_sparsity.data, L, T), "MLP sparsity per layer");
    add("mlp_sparsity_tokens", {L, T}, cap.mlp_sparsity.data, "MLP sparsity per token");
  }
  if (!opt.r_hat.empty()) {
    auto tension = direction_projection(cap.hidden, opt.r_hat);
    add("refusal_tension_mean", {d.layers}, row_means(tension, d.layers, d.tokens),
        "mean over tokens of dot(h, r̂)");
    add("refusal_tension", {d.layers, d.tokens}, std::move(tension), "dot(h, r̂)");
  }
}

}  // namespace th::analysis
