// Model-runtime benchmark, one case per process (bench/bench_model.sh runs the table):
//   bench_model probe                          matmul GFLOP/s (f32, bf16) and read bandwidth
//                                              (scalar sums, and AVX2 loads with prefetch)
//   bench_model forward DIR DTYPE T REPS [all|last]
//                                              Runner::forward with full capture, tokens/s;
//                                              logits of every position or (default) the last
//   bench_model decode DIR DTYPE NEW [paired]  generate with the KV cache, tokens/s; paired:
//                                              each step followed by a read pass over the
//                                              model's files (step ms : GB/s pairs)
// Each prints one line of key=value pairs with the process's peak RSS. Warm-up passes are
// never timed: forward runs one over min(T, 64) tokens first, decode times tokens 2..NEW.
// Without arguments it runs the probe (so `make bench` running every executable bare works).
#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "model/matmul_probe.h"
#include "model/runner.h"
#include "model/safetensors.h"

namespace {

using Clock = std::chrono::steady_clock;
using th::model::ComputeDType;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

std::vector<int64_t> bench_tokens(int64_t t, int64_t vocab) {
  std::vector<int64_t> ids(static_cast<std::size_t>(t));
  for (int64_t i = 0; i < t; ++i)
    ids[static_cast<std::size_t>(i)] = static_cast<int64_t>(
        (1 + static_cast<uint64_t>(i) * 2654435761ull) % static_cast<uint64_t>(vocab));
  return ids;
}

// The summing loops of the bandwidth probe over words [b, e) of the buffer.
uint32_t sum_scalar(const uint32_t* p, std::size_t b, std::size_t e) {
  uint32_t x = 0, y = 0, z = 0, w = 0;
  for (std::size_t i = b; i < e; i += 4) {
    x += p[i];
    y += p[i + 1];
    z += p[i + 2];
    w += p[i + 3];
  }
  return x ^ y ^ z ^ w;
}

// 256-bit loads with a software prefetch 4 KB ahead: how the runtime's GEMV streams its weights
// (engine/model/torch/kernels.cpp). Where the scalar loop leaves bandwidth unused the GEMV can
// read faster than it, so the decode bound uses the faster of the two.
__attribute__((target("avx2"))) uint32_t sum_avx2(const uint32_t* p, std::size_t b, std::size_t e) {
  __m256i x = _mm256_setzero_si256(), y = _mm256_setzero_si256();
  for (std::size_t i = b; i < e; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + 4096, _MM_HINT_T0);
    x = _mm256_add_epi32(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    y = _mm256_add_epi32(y, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_xor_si256(x, y));
  uint32_t r = 0;
  for (uint32_t v : lanes) r ^= v;
  return r;
}

// One pass of `sum` over words [0, n) of p, two threads (the runtime's count) on disjoint
// halves; GB/s.
double read_pass_gbs(const uint32_t* p, std::size_t n,
                     uint32_t (*sum)(const uint32_t*, std::size_t, std::size_t)) {
  uint32_t part[2] = {0, 0};
  auto half = [&](int w) { part[w] = sum(p, w * (n / 2), (w + 1) * (n / 2)); };
  const auto t0 = Clock::now();
  std::thread other(half, 1);
  half(0);
  other.join();
  const double s = seconds_since(t0);
  if ((part[0] ^ part[1]) == 0x12345678u) std::puts("");  // keeps the sums alive
  return static_cast<double>(n * sizeof(uint32_t)) / s / 1e9;
}

// Read bandwidth in GB/s over a fresh 1 GiB buffer: the best of five passes of `sum` after one
// that touches it.
double read_bandwidth_gbs(uint32_t (*sum)(const uint32_t*, std::size_t, std::size_t)) {
  std::vector<uint32_t> buf((std::size_t{1} << 30) / sizeof(uint32_t));
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint32_t>(i);
  double best = read_pass_gbs(buf.data(), buf.size(), sum);
  for (int r = 0; r < 5; ++r) best = std::max(best, read_pass_gbs(buf.data(), buf.size(), sum));
  return best;
}

int probe() {
  using th::model::MatmulPath;
  const int64_t n = 1024;
  const double f32 = th::model::matmul_gflops(n, n, n, ComputeDType::Float32, MatmulPath::Torch, 5);
  const double bf16_torch =
      th::model::matmul_gflops(n, n, n, ComputeDType::BFloat16, MatmulPath::Torch, 1);
  const double bf16_rt =
      th::model::matmul_gflops(n, n, n, ComputeDType::BFloat16, MatmulPath::Runtime, 5);
  const double read = read_bandwidth_gbs(sum_scalar);
  const double read_avx2 = __builtin_cpu_supports("avx2") ? read_bandwidth_gbs(sum_avx2) : 0;
  std::printf(
      "case=probe n=%lld mm_f32_gflops=%.1f mm_bf16_torch_gflops=%.1f mm_bf16_runtime_gflops=%.1f "
      "read_gbs=%.2f read_avx2_gbs=%.2f peak_rss_mb=%.0f\n",
      static_cast<long long>(n), f32, bf16_torch, bf16_rt, read, read_avx2, peak_rss_mb());
  return 0;
}

int forward(const std::string& dir, const std::string& dtype, int64_t t, int reps,
            const std::string& logits) {
  if (logits != "all" && logits != "last") throw std::runtime_error("logits: all|last");
  th::model::CaptureRequest what;
  what.all_logits = logits == "all";
  const auto runner =
      th::model::Runner::load(dir, th::model::parse_compute_dtype(dtype, "bench dtype"));
  const int64_t vocab = runner.config().vocab_size;
  const double budget =
      std::getenv("TH_BENCH_BUDGET") ? std::atof(std::getenv("TH_BENCH_BUDGET")) : 60.0;
  runner.forward(bench_tokens(std::min<int64_t>(t, 64), vocab), what);
  const auto ids = bench_tokens(t, vocab);
  std::vector<double> times;
  double total = 0;
  while (static_cast<int>(times.size()) < reps && (times.empty() || total < budget)) {
    const auto t0 = Clock::now();
    const auto cap = runner.forward(ids, what);
    times.push_back(seconds_since(t0));
    total += times.back();
    if (cap.logits.data.empty()) return 1;
  }
  const double mean = total / static_cast<double>(times.size());
  std::printf(
      "side=ours dtype=%s T=%lld logits=%s reps=%zu best_s=%.4f mean_s=%.4f tok_s=%.1f "
      "peak_rss_mb=%.0f\n",
      dtype.c_str(), static_cast<long long>(t), logits.c_str(), times.size(),
      *std::min_element(times.begin(), times.end()), mean, static_cast<double>(t) / mean,
      peak_rss_mb());
  return 0;
}

// The model's weights mapped a second time through WeightStore (model.safetensors or its
// shards): the same page-cache pages the runtime maps, so a pass over them reads the very memory
// a decoding step reads. Tensors lying end to end are read as one span (a file's whole data).
class WeightReads {
 public:
  explicit WeightReads(const std::string& dir) : store_(th::model::WeightStore::open_dir(dir)) {
    for (const th::model::TensorView* t : store_.all()) {
      const auto* p = reinterpret_cast<const char*>(t->bytes.data());
      if (!spans_.empty() && spans_.back().first + spans_.back().second == p)
        spans_.back().second += t->bytes.size();
      else
        spans_.push_back({p, t->bytes.size()});
    }
  }

  // One read pass over every span (whole 64-byte blocks), GB/s.
  double read_pass_gbs() const {
    const auto sum = __builtin_cpu_supports("avx2") ? sum_avx2 : sum_scalar;
    double bytes = 0, seconds = 0;
    for (const auto& [p, size] : spans_) {
      const std::size_t words = size / 64 * 16;
      const double gbs = ::read_pass_gbs(reinterpret_cast<const uint32_t*>(p), words, sum);
      bytes += static_cast<double>(words * 4);
      seconds += static_cast<double>(words * 4) / (gbs * 1e9);
    }
    return bytes / seconds / 1e9;
  }

 private:
  th::model::WeightStore store_;
  std::vector<std::pair<const char*, std::size_t>> spans_;
};

// Tokens 2..NEW are timed. With `paired`, a read pass over the model's files follows each step
// (untimed in the step): each step is then compared with the machine's read rate of the same
// memory within the same ~0.1 s, which minute-scale probes cannot do on a machine whose rate
// moves by ±20 % between minutes.
int decode(const std::string& dir, const std::string& dtype, int64_t n_new, bool paired) {
  const auto runner =
      th::model::Runner::load(dir, th::model::parse_compute_dtype(dtype, "bench dtype"));
  std::optional<WeightReads> weights;
  if (paired) weights.emplace(dir);
  const auto prompt = bench_tokens(8, runner.config().vocab_size);
  th::model::GenerateOptions opt;
  opt.stop_at_eos = false;
  opt.max_new = 4;
  runner.generate(prompt, opt);  // warm-up: pages the weights in
  opt.max_new = n_new;
  std::vector<double> steps, probes;      // ms per step; GB/s of the pass after it
  std::optional<Clock::time_point> last;  // the end of the previous step's callback
  runner.generate(prompt, opt, [&](const th::model::GeneratedToken&) {
    if (last)
      steps.push_back(std::chrono::duration<double, std::milli>(Clock::now() - *last).count());
    if (weights) {
      const double gbs = weights->read_pass_gbs();  // the first (token 1's) only warms
      if (last) probes.push_back(gbs);
    }
    last = Clock::now();
    return true;
  });
  if (steps.size() < 2) return 1;
  std::string pairs;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    char pair[64];
    std::snprintf(pair, sizeof pair, "%s%.3f:%.2f", i ? "," : "", steps[i], probes[i]);
    pairs += pair;
  }
  const double timed = std::accumulate(steps.begin(), steps.end(), 0.0);
  std::vector<double> sorted = steps;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  std::printf(
      "case=decode dtype=%s steps=%zu tok_s=%.2f ms_per_tok=%.2f median_ms=%.2f peak_rss_mb=%.0f"
      "%s%s\n",
      dtype.c_str(), steps.size(), 1000.0 * static_cast<double>(steps.size()) / timed,
      timed / static_cast<double>(steps.size()), sorted[sorted.size() / 2], peak_rss_mb(),
      paired ? " pairs=" : "", pairs.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty() || a[0] == "probe") return probe();
    if (a[0] == "forward" && (a.size() == 5 || a.size() == 6))
      return forward(a[1], a[2], std::stoll(a[3]), std::stoi(a[4]), a.size() == 6 ? a[5] : "last");
    if (a[0] == "decode" && (a.size() == 4 || (a.size() == 5 && a[4] == "paired")))
      return decode(a[1], a[2], std::stoll(a[3]), a.size() == 5);
    std::fprintf(stderr,
                 "usage: bench_model [probe] | forward DIR DTYPE T REPS [all|last] | decode DIR "
                 "DTYPE NEW [paired]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_model: %s\n", e.what());
    return 1;
  }
}
