// The plot module: things drawn land on the pixels the axes put them at, in their colour;
// ticks read as people write numbers; the same figure gives the same bytes; bad paths are
// reported with the path.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "plot/figure.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace th::plot;

namespace {

constexpr std::uint32_t kWhite = 0xffffffff;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// 400×300 with 50 px margins all round and axes fixed at [0, 10]: data (x, y) sits at pixel
// (50 + 30x, 250 − 20y), computed here by hand and independently of the module.
Figure fixed_frame() {
  Figure f;
  f.width = 400;
  f.height = 300;
  f.margins = Margins{50, 50, 50, 50};
  Panel p;
  p.x.lo = 0;
  p.x.hi = 10;
  p.y.lo = 0;
  p.y.hi = 10;
  p.x.grid = p.y.grid = false;
  f.panels.push_back(p);
  return f;
}

Figure sample_figure() {
  Figure f;
  f.title = "Sample";
  f.columns = 2;
  for (int k = 0; k < 2; ++k) {
    Panel p;
    p.title = "panel " + std::to_string(k);
    p.x.label = "rank";
    p.y.label = "σ";
    p.x.scale = p.y.scale = Scale::log;
    for (int l = 0; l < 6; ++l) {
      Series s;
      s.label = "layer " + std::to_string(l);
      s.color = viridis(l / 5.0);
      for (int i = 1; i <= 64; ++i) {
        s.x.push_back(i);
        s.y.push_back(10.0 / std::pow(i, 0.5 + 0.1 * l));
      }
      p.series.push_back(s);
    }
    p.colorbar = ColorBar{"layer", 0, 5, {}};
    p.bands.push_back({1, 8, "intro", categorical(0)});
    f.panels.push_back(p);
  }
  return f;
}

}  // namespace

TEST_CASE("the data area is the figure minus the margins", "[plot]") {
  const Area a = data_area(fixed_frame(), 0);
  CHECK(a.left == 50);
  CHECK(a.top == 50);
  CHECK(a.width == 300);
  CHECK(a.height == 200);
}

TEST_CASE("a box fills exactly its data rectangle in its colour", "[plot]") {
  Figure f = fixed_frame();
  f.panels[0].boxes.push_back({2, 4, 6, 8, hex(0xff0000)});
  const Pixels px = render(f);
  REQUIRE(px.width == 400);
  REQUIRE(px.height == 300);
  // x 2..4 → pixels 110..170, y 6..8 → pixels 130..90.
  CHECK(px.at(140, 110) == 0xffff0000);
  CHECK(px.at(111, 91) == 0xffff0000);
  CHECK(px.at(169, 129) == 0xffff0000);
  CHECK(px.at(108, 110) == kWhite);
  CHECK(px.at(172, 110) == kWhite);
  CHECK(px.at(140, 88) == kWhite);
  CHECK(px.at(140, 132) == kWhite);
}

TEST_CASE("a line runs through the pixels of its data points", "[plot]") {
  Figure f = fixed_frame();
  Series h{"", {0, 10}, {5, 5}, hex(0x0000ff), Mark::line, 4};
  Series v{"", {7, 7}, {0, 10}, hex(0x00aa00), Mark::line, 4};
  f.panels[0].series = {h, v};
  const Pixels px = render(f);
  // y = 5 → pixel row 150; a 4 px line covers rows 148..151 fully.
  CHECK(px.at(100, 149) == 0xff0000ff);
  CHECK(px.at(100, 150) == 0xff0000ff);
  CHECK(px.at(100, 156) == kWhite);
  CHECK(px.at(100, 144) == kWhite);
  // x = 7 → pixel column 260; the later series is drawn on top where they cross.
  CHECK(px.at(260, 100) == 0xff00aa00);
  CHECK(px.at(259, 150) == 0xff00aa00);
  CHECK(px.at(266, 100) == kWhite);
}

TEST_CASE("log axes put the geometric middle in the middle", "[plot]") {
  Figure f = fixed_frame();
  auto& p = f.panels[0];
  p.x.scale = p.y.scale = Scale::log;
  p.x.lo = p.y.lo = 1;
  p.x.hi = p.y.hi = 100;
  p.series.push_back({"", {10}, {10}, hex(0xff00ff), Mark::points, 3});
  // Points ≤ 0 cannot be drawn on a log axis and are skipped, not drawn at infinity.
  p.series.push_back({"", {0, -1}, {10, 10}, hex(0x00ff00), Mark::points, 3});
  const Pixels px = render(f);
  CHECK(px.at(200, 150) == 0xffff00ff);
  CHECK(px.at(199, 149) == 0xffff00ff);
  CHECK(px.at(215, 150) == kWhite);
  CHECK(px.at(50, 150) != 0xff00ff00);
}

TEST_CASE("a heat map puts row 0 at the bottom, coloured by viridis", "[plot]") {
  Figure f = fixed_frame();
  Heatmap h;
  h.rows = 2;
  h.cols = 2;
  h.values = {0, 1, 2, 3};
  h.x0 = h.y0 = 0;
  h.x1 = h.y1 = 10;
  f.panels[0].heatmap = h;
  const Pixels px = render(f);
  auto argb = [](Rgb c) {
    return 0xff000000u | static_cast<std::uint32_t>(std::lround(c.r * 255)) << 16 |
           static_cast<std::uint32_t>(std::lround(c.g * 255)) << 8 |
           static_cast<std::uint32_t>(std::lround(c.b * 255));
  };
  CHECK(px.at(90, 200) == 0xff440154);               // row 0, col 0: the minimum
  CHECK(px.at(310, 100) == 0xfffde725);              // row 1, col 1: the maximum
  CHECK(px.at(310, 200) == argb(viridis(1 / 3.0)));  // row 0, col 1
  CHECK(px.at(90, 100) == argb(viridis(2 / 3.0)));   // row 1, col 0
}

TEST_CASE("viridis runs dark blue to yellow; categorical colours differ", "[plot]") {
  CHECK(viridis(0) == hex(0x440154));
  CHECK(viridis(1) == hex(0xfde725));
  CHECK(viridis(-3) == viridis(0));
  CHECK(viridis(0.5) == hex(0x21908c));
  for (std::size_t i = 0; i < 20; ++i)
    for (std::size_t j = i + 1; j < 20; ++j) CHECK_FALSE(categorical(i) == categorical(j));
  CHECK(categorical(22) == categorical(2));
}

TEST_CASE("ticks are round numbers inside the range", "[plot]") {
  const auto t = linear_ticks(0, 1, 5);
  REQUIRE(t.size() == 6);
  CHECK(t[0].label == "0");
  CHECK(t[1].label == "0.2");
  CHECK(t[5].value == Approx(1));
  const auto big = linear_ticks(3, 2013, 4);  // 0 and 2500 lie outside: not produced
  REQUIRE(big.size() == 4);
  CHECK(big[0].label == "500");
  CHECK(big[3].label == "2000");
}

TEST_CASE("log ticks are decades labelled as powers of ten", "[plot]") {
  const auto t = log_ticks(1e-3, 250);
  REQUIRE(t.size() == 6);
  CHECK(t[0].label == "10⁻³");
  CHECK(t[3].label == "10⁰");
  CHECK(t[5].label == "10²");
  const auto narrow = log_ticks(1.5, 40);  // under two decades: 2× and 5× join in
  std::vector<std::string> labels;
  for (const auto& k : narrow) labels.push_back(k.label);
  CHECK(labels == std::vector<std::string>{"2", "5", "10", "20"});
}

TEST_CASE("the same figure writes byte-identical PNG files with no time stamp", "[plot]") {
  const auto dir = th::test::scratch("plot_determinism");
  write_png(sample_figure(), dir / "a.png");
  write_png(sample_figure(), dir / "b.png");
  const auto a = slurp(dir / "a.png"), b = slurp(dir / "b.png");
  REQUIRE(a.size() > 10000);
  CHECK(a.substr(1, 3) == "PNG");
  CHECK(a == b);
  CHECK(a.find("tIME") == std::string::npos);
  const Pixels back = read_png(dir / "a.png");
  CHECK(back.width == 1200);
  CHECK(back.height == 700);
  CHECK(back.argb == render(sample_figure()).argb);
}

TEST_CASE("a bad output path is an input error naming the path", "[plot]") {
  const auto dir = th::test::scratch("plot_bad_path");
  const auto missing = dir / "no" / "such" / "folder" / "x.png";
  CHECK_THROWS_AS(write_png(fixed_frame(), missing), th::InputError);
  CHECK_THROWS_WITH(write_png(fixed_frame(), missing),
                    Catch::Contains(missing.string()) && Catch::Contains("does not exist"));
  // A folder where the file should go.
  fs::create_directories(dir / "taken.png");
  CHECK_THROWS_WITH(write_png(fixed_frame(), dir / "taken.png"),
                    Catch::Contains((dir / "taken.png").string()));
  CHECK_THROWS_AS(read_png(dir / "absent.png"), th::InputError);
}

TEST_CASE("malformed data is rejected, not drawn", "[plot]") {
  Figure f = fixed_frame();
  f.panels[0].series.push_back({"bad", {1, 2, 3}, {1, 2}, hex(0), Mark::line, 1});
  CHECK_THROWS_AS(render(f), std::invalid_argument);
  Figure g = fixed_frame();
  g.panels[0].heatmap = Heatmap{2, 2, {1, 2, 3}, 0, 1, 0, 1, {}, {}};
  CHECK_THROWS_AS(render(g), std::invalid_argument);
  Figure z = fixed_frame();
  z.width = 0;
  CHECK_THROWS_AS(render(z), th::Error);
}

TEST_CASE("the legend keeps off the data: best picks an empty corner", "[plot]") {
  Figure f = fixed_frame();
  // Points crowd the top-right corner, where a legend would go first.
  Series dots{"dots", {}, {}, hex(0xff0000), Mark::points, 3};
  for (double x = 7; x <= 9.6; x += 0.4)
    for (double y = 7; y <= 9.6; y += 0.4) {
      dots.x.push_back(x);
      dots.y.push_back(y);
    }
  f.panels[0].series.push_back(dots);
  const Pixels best = render(f);
  // (9.4, 9.4) → pixel (332, 62): still a red dot, not covered.
  CHECK(best.at(332, 62) == 0xffff0000);
  f.panels[0].legend = LegendAt::top_right;
  const Pixels forced = render(f);
  CHECK(forced.at(332, 62) != 0xffff0000);
}

TEST_CASE("a band too narrow for its label shows its short label, else none", "[plot]") {
  // Band x 0..1 → pixels 50..80 (30 px): room for "A", not for the long label.
  const auto label_ink = [](const std::string& short_label) {
    Figure f = fixed_frame();
    f.panels[0].bands.push_back(
        {0, 1, "a label far too long for thirty pixels", hex(0xcc0000), 0.0, short_label});
    const Pixels px = render(f);
    int red = 0;  // the label's text is drawn in the band's colour near the top edge
    for (int y = 52; y < 74; ++y)
      for (int x = 51; x < 80; ++x) {
        const std::uint32_t c = px.at(x, y);
        if (((c >> 16) & 0xff) > 0x80 && (c & 0xff) < 0x60) ++red;
      }
    return red;
  };
  CHECK(label_ink("") == 0);
  CHECK(label_ink("A") > 5);
}
