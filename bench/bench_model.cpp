// Model-runtime benchmark, one case per process (bench/bench_model.sh runs the table):
//   bench_model probe                          matmul GFLOP/s (f32, bf16) and read bandwidth
//                                              (scalar sums, and AVX2 loads with prefetch)
//   bench_model forward DIR DTYPE T REPS [all|last]
//                                              Runner::forward with full capture, tokens/s;
//                                              logits of every position or (default) the last
//   bench_model decode DIR DTYPE NEW           generate with the KV cache, tokens/s
//   bench_model bandwidth                      the read probes alone (paired with each decode)
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
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "model/matmul_probe.h"
#include "model/runner.h"

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

// Read bandwidth in GB/s: two threads (the runtime's count) sum disjoint halves of a 1 GiB
// buffer with `sum`; the best and the median of five passes after one that touches it.
struct Rate {
  double best, median;
};

Rate read_bandwidth_gbs(const std::vector<uint32_t>& buf,
                        uint32_t (*sum)(const uint32_t*, std::size_t, std::size_t)) {
  const std::size_t n = buf.size();
  uint32_t sink = 0;
  auto pass = [&] {
    uint32_t part[2] = {0, 0};
    auto half = [&](int w) { part[w] = sum(buf.data(), w * (n / 2), (w + 1) * (n / 2)); };
    const auto t0 = Clock::now();
    std::thread other(half, 1);
    half(0);
    other.join();
    const double s = seconds_since(t0);
    sink ^= part[0] ^ part[1];
    return static_cast<double>(n * sizeof(uint32_t)) / s / 1e9;
  };
  pass();
  std::vector<double> rates;
  for (int r = 0; r < 5; ++r) rates.push_back(pass());
  std::sort(rates.begin(), rates.end());
  if (sink == 0x12345678u) std::puts("");  // keeps the sums alive
  return {rates.back(), rates[rates.size() / 2]};
}

// Both read probes over a fresh 1 GiB buffer.
struct ReadRates {
  Rate scalar, avx2;
};

ReadRates read_rates() {
  std::vector<uint32_t> buf((std::size_t{1} << 30) / sizeof(uint32_t));
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint32_t>(i);
  return {read_bandwidth_gbs(buf, sum_scalar),
          __builtin_cpu_supports("avx2") ? read_bandwidth_gbs(buf, sum_avx2) : Rate{0, 0}};
}

// The read probes alone: what decoding is compared with, run right before and after each decode
// (best and median pass of each probe).
int bandwidth() {
  const ReadRates r = read_rates();
  std::printf(
      "case=bandwidth read_gbs=%.2f read_avx2_gbs=%.2f read_median_gbs=%.2f "
      "read_avx2_median_gbs=%.2f\n",
      r.scalar.best, r.avx2.best, r.scalar.median, r.avx2.median);
  return 0;
}

int probe() {
  using th::model::MatmulPath;
  const int64_t n = 1024;
  const double f32 = th::model::matmul_gflops(n, n, n, ComputeDType::Float32, MatmulPath::Torch, 5);
  const double bf16_torch =
      th::model::matmul_gflops(n, n, n, ComputeDType::BFloat16, MatmulPath::Torch, 1);
  const double bf16_rt =
      th::model::matmul_gflops(n, n, n, ComputeDType::BFloat16, MatmulPath::Runtime, 5);
  const ReadRates r = read_rates();
  std::printf(
      "case=probe n=%lld mm_f32_gflops=%.1f mm_bf16_torch_gflops=%.1f mm_bf16_runtime_gflops=%.1f "
      "read_gbs=%.2f read_avx2_gbs=%.2f peak_rss_mb=%.0f\n",
      static_cast<long long>(n), f32, bf16_torch, bf16_rt, r.scalar.best, r.avx2.best,
      peak_rss_mb());
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

int decode(const std::string& dir, const std::string& dtype, int64_t n_new) {
  const auto runner =
      th::model::Runner::load(dir, th::model::parse_compute_dtype(dtype, "bench dtype"));
  const auto prompt = bench_tokens(8, runner.config().vocab_size);
  th::model::GenerateOptions opt;
  opt.stop_at_eos = false;
  opt.max_new = 4;
  runner.generate(prompt, opt);  // warm-up: pages the weights in
  opt.max_new = n_new;
  std::vector<Clock::time_point> stamps;
  runner.generate(prompt, opt, [&](const th::model::GeneratedToken&) {
    stamps.push_back(Clock::now());
    return true;
  });
  if (stamps.size() < 3) return 1;
  // Token 1 includes the prompt's pass; tokens 2..N are one cached step each.
  const double s = std::chrono::duration<double>(stamps.back() - stamps.front()).count();
  // The median step too: robust to a step slowed by other load on the machine.
  std::vector<double> steps;
  for (std::size_t i = 1; i < stamps.size(); ++i)
    steps.push_back(std::chrono::duration<double, std::milli>(stamps[i] - stamps[i - 1]).count());
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  std::printf(
      "case=decode dtype=%s steps=%zu tok_s=%.2f ms_per_tok=%.2f median_ms=%.2f peak_rss_mb=%.0f\n",
      dtype.c_str(), stamps.size() - 1, static_cast<double>(stamps.size() - 1) / s,
      1000.0 * s / static_cast<double>(stamps.size() - 1), steps[steps.size() / 2], peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty() || a[0] == "probe") return probe();
    if (a[0] == "forward" && (a.size() == 5 || a.size() == 6))
      return forward(a[1], a[2], std::stoll(a[3]), std::stoi(a[4]), a.size() == 6 ? a[5] : "last");
    if (a[0] == "decode" && a.size() == 4) return decode(a[1], a[2], std::stoll(a[3]));
    if (a[0] == "bandwidth" && a.size() == 1) return bandwidth();
    std::fprintf(stderr,
                 "usage: bench_model [probe] | forward DIR DTYPE T REPS [all|last] | decode DIR "
                 "DTYPE NEW | bandwidth\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_model: %s\n", e.what());
    return 1;
  }
}
