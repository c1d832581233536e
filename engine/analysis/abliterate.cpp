#include "analysis/abliterate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <cstring>
#include <map>

#include "analysis/refusal.h"
#include "core/error.h"
#include "core/log.h"
#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/safetensors.h"

namespace th::analysis {
namespace {

namespace fs = std::filesystem;
using model::Role;
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The float values back in the tensor's own dtype.
std::vector<std::byte> encode_as(model::DType dtype, const std::vector<float>& v,
                                 const std::string& name) {
  std::vector<std::byte> out(v.size() * model::dtype_size(dtype));
  for (std::size_t i = 0; i < v.size(); ++i) {
    switch (dtype) {
      case model::DType::F32:
        std::memcpy(&out[i * 4], &v[i], 4);
        break;
      case model::DType::BF16: {
        const uint16_t b = model::float_to_bf16(v[i]);
        std::memcpy(&out[i * 2], &b, 2);
        break;
      }
      case model::DType::F16: {
        const _Float16 h = static_cast<_Float16>(v[i]);
        std::memcpy(&out[i * 2], &h, 2);
        break;
      }
      default:
        throw InputError(fmt::format("abliterate: tensor {}: expected F32, BF16 or F16, found {}",
                                     name, model::dtype_name(dtype)));
    }
  }
  return out;
}

// The unit vector the matrix's output must be orthogonal to (see the header).
Eigen::VectorXd write_direction(const Eigen::VectorXd& r, const model::TensorRole* sandwich_norm,
                                double offset) {
  if (!sandwich_norm) return r;
  const auto w = model::to_float(*sandwich_norm->view);
  Eigen::VectorXd u(r.size());
  for (Eigen::Index i = 0; i < r.size(); ++i)
    u[i] = (offset + w[static_cast<std::size_t>(i)]) * r[i];
  if (u.norm() == 0) return r;
  return u.normalized();
}

void copy_side_files(const fs::path& from, const fs::path& to) {
  for (const auto& e : fs::directory_iterator(from)) {
    const auto name = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() == ".safetensors" ||
        name == "model.safetensors.index.json")
      continue;
    fs::copy_file(e.path(), to / name);
  }
}

}  // namespace

AbliterationReport abliterate(const fs::path& model_dir, const fs::path& direction_file,
                              const fs::path& out_dir) {
  if (!fs::exists(model_dir / "config.json"))
    throw bad_file(model_dir.string(), "not a model folder (no config.json)");
  if (fs::exists(out_dir) && fs::equivalent(out_dir, model_dir))
    throw bad_field("--out", "--out", "a folder other than the model's", out_dir.string());
  if (fs::exists(out_dir) && !(fs::is_directory(out_dir) && fs::is_empty(out_dir)))
    throw bad_file(out_dir.string(), "already exists and is not an empty folder; nothing written");

  const auto config = model::load_config(model_dir / "config.json");
  const auto& arch = model::find_arch(config);
  const auto ws = model::WeightStore::open_dir(model_dir);
  const auto roles = model::resolve_roles(config, arch, ws);
  const auto dir = load_direction(direction_file, config.hidden_size);
  const Eigen::VectorXd r =
      Eigen::Map<const Eigen::VectorXf>(dir.direction.data(), config.hidden_size)
          .cast<double>()
          .normalized();
  const double offset = arch.norm_offset_one ? 1.0 : 0.0;

  std::map<std::pair<Role, int>, const model::TensorRole*> by_role;
  for (const auto& tr : roles) by_role[{tr.role, tr.layer}] = &tr;
  auto find = [&](Role role, int layer) -> const model::TensorRole* {
    const auto it = by_role.find({role, layer});
    return it == by_role.end() ? nullptr : it->second;
  };

  // tensor name → replacement bytes
  std::map<std::string, std::vector<std::byte>> edited;
  AbliterationReport report;
  for (const auto& tr : roles) {
    if (tr.role != Role::Embed && tr.role != Role::O && tr.role != Role::Down) continue;
    if (tr.fused)
      throw InputError(
          fmt::format("abliterate: {}: fused residual writers are not supported", tr.name));
    auto w = model::to_float(*tr.view);
    const int64_t rows = tr.shape[0], cols = tr.shape[1];
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> m(w.data(),
                                                                                        rows, cols);
    if (tr.role == Role::Embed) {
      // Rows are residual vectors: E ← E − (E r) rᵀ.
      const Eigen::VectorXd er = m.cast<double>() * r;
      m = (m.cast<double>() - er * r.transpose()).cast<float>();
    } else {
      // Columns of the [hidden, in] matrix are residual vectors: W ← W − u (uᵀ W).
      const Role norm = tr.role == Role::O ? Role::PostAttnNorm : Role::PostFfnNorm;
      const Eigen::VectorXd u =
          write_direction(r, arch.sandwich_norms ? find(norm, tr.layer) : nullptr, offset);
      const Eigen::RowVectorXd utw = u.transpose() * m.cast<double>();
      m = (m.cast<double>() - u * utw).cast<float>();
    }
    edited[tr.name] = encode_as(tr.view->dtype, w, tr.name);
    report.edited.push_back(tr.name);
  }

  std::vector<model::TensorData> tensors;
  for (const auto* t : ws.all()) {
    const auto it = edited.find(t->name);
    tensors.push_back({t->name, t->dtype, t->shape,
                       it == edited.end() ? t->bytes : std::span<const std::byte>(it->second)});
  }

  const fs::path tmp = out_dir.string() + fmt::format(".tmp-{}", ::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    copy_side_files(model_dir, tmp);
    model::write_safetensors(
        tmp / "model.safetensors", tensors,
        {{"format", "pt"},
         {"abliterated_from", fs::absolute(model_dir).string()},
         {"direction", fs::absolute(direction_file).string()},
         {"direction_method", std::string(refusal_method_name(dir.method))},
         {"direction_layers", fmt::format("{}..{}", dir.layer_lo, dir.layer_hi)}});
    if (fs::exists(out_dir)) fs::remove(out_dir);  // the empty folder checked above
    fs::rename(tmp, out_dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  report.out = out_dir;
  return report;
}

}  // namespace th::analysis
