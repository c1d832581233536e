#include "plot/color.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace th::plot {
namespace {

// viridis at t = 0, 1/8, …, 1 (the published nine-step table); linear in between is within a
// few units of the full 256-step map, which no eye tells apart on a line chart.
constexpr std::array<Rgb, 9> kViridis{hex(0x440154), hex(0x472d7b), hex(0x3b528b),
                                      hex(0x2c728e), hex(0x21908c), hex(0x27ad81),
                                      hex(0x5dc863), hex(0xaadc32), hex(0xfde725)};

constexpr std::array<Rgb, 10> kCategorical{
    hex(0x1f77b4), hex(0xff7f0e), hex(0x2ca02c), hex(0xd62728), hex(0x9467bd),
    hex(0x8c564b), hex(0xe377c2), hex(0x7f7f7f), hex(0xbcbd22), hex(0x17becf)};

}  // namespace

Rgb viridis(double t) {
  if (!(t > 0)) return kViridis.front();  // also NaN
  if (t >= 1) return kViridis.back();
  const double pos = t * (kViridis.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double f = pos - static_cast<double>(i);
  const Rgb& a = kViridis[i];
  const Rgb& b = kViridis[i + 1];
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

Rgb categorical(std::size_t i) {
  // Past ten, every other round of the palette is a darker shade, so 20 stay distinct.
  const Rgb c = kCategorical[i % kCategorical.size()];
  if ((i / kCategorical.size()) % 2 == 0) return c;
  return {c.r * 0.55, c.g * 0.55, c.b * 0.55};
}

Rgb lighten(Rgb c, double amount) {
  const double a = std::clamp(amount, 0.0, 1.0);
  return {c.r + (1 - c.r) * a, c.g + (1 - c.g) * a, c.b + (1 - c.b) * a};
}

}  // namespace th::plot
