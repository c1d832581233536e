// `tensorhaus analyze --plots` and `tensorhaus compose --pictures` end to end: the expected
// files, with real drawings in them (many colours, ink well beyond the frame), the same bytes
// on a second run, and clear errors for an unwritable folder.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <fstream>
#include <set>
#include <sstream>

#include "cli_support.h"
#include "plot/figure.h"

namespace fs = std::filesystem;

namespace {

using th::test::slurp;

constexpr auto run = &th::test::run_cli;

struct Ink {
  std::size_t colours = 0;
  double inked = 0;  // fraction of pixels that are not white
  std::size_t near(std::uint32_t argb, int tolerance) const;
  th::plot::Pixels px;
};

std::size_t Ink::near(std::uint32_t argb, int tolerance) const {
  auto ch = [](std::uint32_t v, int shift) { return static_cast<int>((v >> shift) & 0xff); };
  std::size_t n = 0;
  for (auto v : px.argb)
    n += std::abs(ch(v, 16) - ch(argb, 16)) <= tolerance &&
         std::abs(ch(v, 8) - ch(argb, 8)) <= tolerance &&
         std::abs(ch(v, 0) - ch(argb, 0)) <= tolerance;
  return n;
}

Ink ink(const fs::path& png) {
  Ink k;
  k.px = th::plot::read_png(png);
  std::set<std::uint32_t> seen(k.px.argb.begin(), k.px.argb.end());
  k.colours = seen.size();
  std::size_t white = 0;
  for (auto v : k.px.argb) white += v == 0xffffffff;
  k.inked = 1.0 - static_cast<double>(white) / static_cast<double>(k.px.argb.size());
  return k;
}

const std::vector<std::string> kAnalysisPictures{
    "spectra.png",   "spectra_q.png",    "spectra_k.png",  "spectra_v.png",
    "spectra_o.png", "spectra_gate.png", "spectra_up.png", "spectra_down.png",
    "alpha.png",     "tension.png",      "norm_pca.png",   "norms_heatmap.png"};

void check_analysis_pictures(const fs::path& model, const std::string& name) {
  const auto dir = th::test::scratch("plots_" + name);
  const auto r = run("analyze --model " + model.string() + " --out " + (dir / "r.json").string() +
                         " --plots " + (dir / "a").string(),
                     dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find(std::to_string(kAnalysisPictures.size()) + " pictures in") != std::string::npos);
  std::size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(dir / "a")) pngs += e.path().extension() == ".png";
  CHECK(pngs == kAnalysisPictures.size());
  for (const auto& f : kAnalysisPictures) {
    INFO(f);
    REQUIRE(fs::exists(dir / "a" / f));
    const Ink k = ink(dir / "a" / f);
    CHECK(k.px.width >= 1200);
    CHECK(k.px.height >= 600);
    CHECK(k.colours > 200);
    CHECK(k.inked > 0.03);
  }
  // One line per layer in viridis: the first and last layer's colours are on the page.
  const Ink q = ink(dir / "a" / "spectra_q.png");
  CHECK(q.near(0xff440154, 12) > 100);
  CHECK(q.near(0xfffde725, 12) > 100);
  // The heat map fills most of its picture with colour.
  CHECK(ink(dir / "a" / "norms_heatmap.png").inked > 0.5);

  // A second run writes the same bytes.
  REQUIRE(run("analyze --model " + model.string() + " --out " + (dir / "r2.json").string() +
                  " --plots " + (dir / "b").string(),
              dir)
              .code == 0);
  for (const auto& f : kAnalysisPictures) {
    INFO(f);
    CHECK(slurp(dir / "a" / f) == slurp(dir / "b" / f));
  }
}

}  // namespace

TEST_CASE("analyze --plots draws stories260K", "[plot][cli]") {
  check_analysis_pictures(th::test::shared_data("models/stories260K-hf"), "stories");
}

TEST_CASE("analyze --plots draws the pocket model", "[plot][cli]") {
  check_analysis_pictures(th::test::source_dir() / "models/pocket", "pocket");
}

TEST_CASE("analyze --plots into an unwritable place is a clear input error", "[plot][cli]") {
  const auto dir = th::test::scratch("plots_bad");
  std::ofstream(dir / "file") << "x";
  const auto r =
      run("analyze --model " + (th::test::source_dir() / "models/pocket").string() + " --out " +
              (dir / "r.json").string() + " --plots " + (dir / "file" / "pics").string(),
          dir);
  CHECK(r.code == 2);
  CHECK(r.err.find((dir / "file" / "pics").string()) != std::string::npos);
}

TEST_CASE("compose --pictures draws a piano roll and the features behind it", "[plot][cli]") {
  const auto dir = th::test::scratch("pictures_compose");
  const auto session = th::test::source_dir() / "sessions" / "demo.toml";
  const auto model = th::test::source_dir() / "models/pocket";
  for (const char* sub : {"a", "b"}) {
    const auto r = run("compose " + session.string() + " --model " + model.string() + " --out " +
                           (dir / sub).string() + " --pictures " + (dir / sub / "pics").string(),
                       dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  for (const char* f : {"demo_piano_roll.png", "demo_features.png"}) {
    INFO(f);
    REQUIRE(fs::exists(dir / "a" / "pics" / f));
    const Ink k = ink(dir / "a" / "pics" / f);
    CHECK(k.px.width >= 1200);
    CHECK(k.colours > 200);
    CHECK(k.inked > 0.08);
    CHECK(slurp(dir / "a" / "pics" / f) == slurp(dir / "b" / "pics" / f));
  }
}
