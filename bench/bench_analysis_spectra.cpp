// Engine side of the analysis speed benchmark, driven by bench/bench_analysis.sh:
//   bench_analysis_spectra MODEL_DIR OUT.bin [REPEATS]
// measures this machine's matmul rate (dgemm, sgemm; OpenBLAS, all threads), times
// singular_spectra over every weight matrix of the model (embed, q, k, v, o, gate, up, down),
// prints the floating-point work the method needs and the achieved/needed ratio at the measured
// float64 rate, and writes the spectra for bench/bench_analysis.py to compare with numpy.
// Run without arguments (as `make bench` does for every bench executable) it only says so.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <vector>

#include "analysis/spectrum.h"
#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/safetensors.h"

extern "C" {
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
            const double*, const int*, const double*, const int*, const double*, double*,
            const int*, std::size_t, std::size_t);
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
            const float*, const int*, const float*, const int*, const float*, float*, const int*,
            std::size_t, std::size_t);
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Process CPU seconds (user + system, all threads): on a shared machine the steadier figure.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Rate {
  double wall = 0, cpu = 0;  // GFLOP per wall second, per CPU second
};

// Best of five n×n·n×n products.
template <typename T, typename Gemm>
Rate gemm_rate(Gemm gemm, int n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<T> u(-1, 1);
  std::vector<T> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  const T one = 1, zero = 0;
  double best = 1e9, best_cpu = 1e9;
  for (int i = 0; i < 6; ++i) {
    const auto t = Clock::now();
    const double c0 = cpu_seconds();
    gemm("N", "N", &n, &n, &n, &one, a.data(), &n, b.data(), &n, &zero, c.data(), &n, 1, 1);
    if (i == 0) continue;  // the first call warms threads and caches
    best = std::min(best, since(t));
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
  }
  const double flops = 2.0 * n * n * static_cast<double>(n);
  return {flops / best / 1e9, flops / best_cpu / 1e9};
}

bool analysed(th::model::Role r) {
  using th::model::Role;
  static const std::set<Role> kRoles{Role::Embed, Role::Q,    Role::K,  Role::V,
                                     Role::O,     Role::Gate, Role::Up, Role::Down};
  return kRoles.count(r) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print("bench_analysis_spectra: driven by bench/bench_analysis.sh (needs MODEL_DIR OUT)\n");
    return 0;
  }
  const std::filesystem::path dir = argv[1];
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 2;

  const Rate d = gemm_rate<double>(dgemm_, 2048);
  const Rate f = gemm_rate<float>(sgemm_, 2048);
  fmt::print(
      "matmul rate (2048³, OpenBLAS, best of 5): float64 {:.1f} GFLOP/s ({:.1f} per CPU "
      "second), float32 {:.1f} GFLOP/s ({:.1f} per CPU second)\n",
      d.wall, d.cpu, f.wall, f.cpu);

  const auto config = th::model::load_config(dir / "config.json");
  const auto weights = th::model::WeightStore::open_dir(dir);
  std::vector<std::string> names;
  std::vector<std::vector<float>> values;
  std::vector<th::analysis::MatrixView> views;
  auto t = Clock::now();
  for (const auto& r : th::model::resolve_roles(config, weights)) {
    if (r.tied || r.fused || !analysed(r.role)) continue;
    names.push_back(r.name);
    values.push_back(th::model::to_float(*r.view));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& shape = weights.get(names[i]).shape;
    views.push_back({values[i], shape[0], shape[1]});
  }
  const double decode = since(t);
  fmt::print("{} matrices, decoded to float32 in {:.2f} s (not in the timings below)\n",
             views.size(), decode);

  std::vector<th::analysis::Spectrum> spectra;
  std::vector<double> times, cpus;
  for (int i = 0; i < repeats; ++i) {
    t = Clock::now();
    const double c0 = cpu_seconds();
    spectra = th::analysis::singular_spectra(views);
    times.push_back(since(t));
    cpus.push_back(cpu_seconds() - c0);
  }
  const double best = *std::min_element(times.begin(), times.end());
  const double best_cpu = *std::min_element(cpus.begin(), cpus.end());
  fmt::print(
      "engine singular_spectra, whole model: wall best {:.2f} s of {} runs ({:.2f}); cpu "
      "best {:.2f} s ({:.2f})\n",
      best, repeats, fmt::join(times, ", "), best_cpu, fmt::join(cpus, ", "));

  double gram = 0, eig = 0;
  for (const auto& v : views) {
    const auto n = static_cast<double>(std::min(v.rows, v.cols));
    eig += 4.0 / 3.0 * n * n * n;
    gram += th::analysis::spectrum_flops(v) - 4.0 / 3.0 * n * n * n;
  }
  const double needed = (gram + eig) / (d.wall * 1e9);
  const double needed_cpu = (gram + eig) / (d.cpu * 1e9);
  fmt::print("flops needed: Gram (syrk, m·n·(n+1)) {:.3g} + eigensolver (4/3·n³) {:.3g} = {:.3g}\n",
             gram, eig, gram + eig);
  fmt::print(
      "at the measured float64 rate that is {:.2f} s wall, {:.2f} s cpu; achieved / needed "
      "= {:.2f} (wall), {:.2f} (cpu)  target ≤ 2: {}\n",
      needed, needed_cpu, best / needed, best_cpu / needed_cpu,
      best / needed <= 2 ? "met" : "MISSED");
  int bdcsvd = 0;
  for (const auto& s : spectra) bdcsvd += s.method == "bdcsvd";
  fmt::print("methods: {} gram-eigh, {} bdcsvd\n", spectra.size() - bdcsvd, bdcsvd);
  fmt::print("ENGINE_SECONDS {:.3f}\nENGINE_CPU_SECONDS {:.3f}\n", best, best_cpu);

  std::ofstream out(argv[2], std::ios::binary);
  for (std::size_t i = 0; i < spectra.size(); ++i) {
    const auto len = static_cast<uint32_t>(names[i].size());
    const auto count = static_cast<uint64_t>(spectra[i].singular_values.size());
    out.write(reinterpret_cast<const char*>(&len), sizeof len);
    out.write(names[i].data(), len);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    out.write(reinterpret_cast<const char*>(spectra[i].singular_values.data()),
              static_cast<std::streamsize>(count * sizeof(double)));
  }
  return out ? 0 : 1;
}
