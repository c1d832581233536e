// Drawing a Figure with Cairo. Every size is in pixels; fonts come from one fixed face with
// hinting off, so glyph placement does not depend on the screen settings of the machine.
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "core/error.h"
#include "plot/figure.h"

namespace th::plot {
namespace {

constexpr const char* kFont = "DejaVu Sans";
constexpr double kTickFont = 12.5, kLabelFont = 14, kTitleFont = 15.5, kFigureTitleFont = 19;
constexpr double kLegendRow = 19, kLegendSample = 26, kLegendMaxRows = 16;
constexpr double kColorBarSpace = 92, kFigureTitleSpace = 46;
constexpr Rgb kText = hex(0x222222), kAxis = hex(0x9a9a9a), kGrid = hex(0xe4e4e4),
              kMinorGrid = hex(0xf3f3f3), kMissing = hex(0xdddddd);

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

ContextPtr make_context(cairo_surface_t* s) {
  ContextPtr cr(cairo_create(s), cairo_destroy);
  cairo_font_options_t* o = cairo_font_options_create();
  cairo_font_options_set_antialias(o, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr.get(), o);
  cairo_font_options_destroy(o);
  cairo_set_antialias(cr.get(), CAIRO_ANTIALIAS_DEFAULT);
  return cr;
}

// A 1×1 surface for measuring text before anything is drawn.
struct Measure {
  SurfacePtr surface{cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1), cairo_surface_destroy};
  ContextPtr cr = make_context(surface.get());
};

void color(cairo_t* cr, Rgb c, double alpha = 1) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

void font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Text with its anchor at (x, y): ha 0 = left, 0.5 = centre, 1 = right; vertically centred on y.
void text(cairo_t* cr, double x, double y, const std::string& s, double ha) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  cairo_move_to(cr, x - ha * text_width(cr, s), y + (fe.ascent - fe.descent) / 2);
  cairo_show_text(cr, s.c_str());
}

void rotated_text(cairo_t* cr, double x, double y, const std::string& s) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, s, 0.5);
  cairo_restore(cr);
}

bool usable(double v, Scale s) {
  return std::isfinite(v) && (s == Scale::linear || v > 0);
}

struct Extent {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v, Scale s) {
    if (!usable(v, s)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

Range resolve(const Panel& p, bool is_x) {
  const Axis& a = is_x ? p.x : p.y;
  Extent lines, solid;
  for (const auto& s : p.series)
    for (double v : is_x ? s.x : s.y) lines.add(v, a.scale);
  for (const auto& b : p.boxes) {
    solid.add(is_x ? b.x0 : b.y0, a.scale);
    solid.add(is_x ? b.x1 : b.y1, a.scale);
  }
  if (is_x)
    for (const auto& b : p.bands) {
      solid.add(b.x0, a.scale);
      solid.add(b.x1, a.scale);
    }
  if (p.heatmap) {
    solid.add(is_x ? p.heatmap->x0 : p.heatmap->y0, a.scale);
    solid.add(is_x ? p.heatmap->x1 : p.heatmap->y1, a.scale);
  }
  for (const auto& l : p.labels) lines.add(is_x ? l.x : l.y, a.scale);
  const bool log = a.scale == Scale::log;
  auto fwd = [&](double v) { return log ? std::log10(v) : v; };
  auto back = [&](double v) { return log ? std::pow(10.0, v) : v; };
  Range r{log ? 1.0 : 0.0, log ? 10.0 : 1.0};
  if (!lines.empty()) {
    const double lo = fwd(lines.lo), hi = fwd(lines.hi);
    const double pad = (hi > lo ? hi - lo : 1.0) * a.pad;
    lines = Extent{back(lo - pad), back(hi + pad)};
  }
  if (!lines.empty() || !solid.empty())
    r = {std::min(lines.lo, solid.lo), std::max(lines.hi, solid.hi)};
  if (r.hi <= r.lo) r = log ? Range{r.lo / 2, r.lo * 2} : Range{r.lo - 0.5, r.lo + 0.5};
  if (a.lo) r.lo = *a.lo;
  if (a.hi) r.hi = *a.hi;
  return r;
}

struct Mapping {
  Area area;
  Range xr, yr;
  Scale xs = Scale::linear, ys = Scale::linear;
  static double f(double v, Scale s) { return s == Scale::log ? std::log10(v) : v; }
  double px(double x) const {
    return area.left + (f(x, xs) - f(xr.lo, xs)) / (f(xr.hi, xs) - f(xr.lo, xs)) * area.width;
  }
  double py(double y) const {
    return area.top + area.height -
           (f(y, ys) - f(yr.lo, ys)) / (f(yr.hi, ys) - f(yr.lo, ys)) * area.height;
  }
};

struct LegendEntry {
  std::string label;
  Rgb color;
  Mark mark = Mark::line;
  bool swatch = false;
};

std::vector<LegendEntry> legend_entries(const Panel& p) {
  std::vector<LegendEntry> out;
  for (const auto& s : p.series)
    if (!s.label.empty()) out.push_back({s.label, s.color, s.mark, false});
  for (const auto& s : p.swatches) out.push_back({s.label, s.color, Mark::line, true});
  return out;
}

struct LegendSize {
  double width = 0, height = 0, column_width = 0;
  int rows = 0;
};

LegendSize legend_size(cairo_t* cr, const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return {};
  font(cr, kTickFont);
  double w = 0;
  for (const auto& e : entries) w = std::max(w, text_width(cr, e.label));
  const int columns = static_cast<int>(std::ceil(entries.size() / kLegendMaxRows));
  const int rows = static_cast<int>(std::ceil(static_cast<double>(entries.size()) / columns));
  const double column = kLegendSample + 8 + w + 12;
  return {columns * column + 8, rows * kLegendRow + 10, column, rows};
}

struct Cell {
  Area cell, data;
};

Cell layout(const Figure& f, std::size_t i, cairo_t* measure) {
  if (i >= f.panels.size()) throw std::invalid_argument("plot: panel index out of range");
  const Panel& p = f.panels[i];
  const int cols = std::max(1, f.columns);
  const auto n = static_cast<int>(f.panels.size());
  const int rows = (n + cols - 1) / cols;
  std::vector<double> weights(static_cast<std::size_t>(rows), 1.0);
  for (std::size_t r = 0; r < weights.size() && r < f.row_heights.size(); ++r)
    weights[r] = f.row_heights[r];
  double total = 0;
  for (double w : weights) total += w;
  const double top0 = f.title.empty() ? 0 : kFigureTitleSpace;
  const int row = static_cast<int>(i) / cols, col = static_cast<int>(i) % cols;
  double y = top0;
  for (int r = 0; r < row; ++r)
    y += (f.height - top0) * weights[static_cast<std::size_t>(r)] / total;
  const Area cell{static_cast<double>(f.width) * col / cols, y, static_cast<double>(f.width) / cols,
                  (f.height - top0) * weights[static_cast<std::size_t>(row)] / total};
  Margins m = f.margins.value_or(Margins{});
  if (!f.margins) {
    if (p.title.empty()) m.top = 16;
    if (p.x.label.empty()) m.bottom = 36;
  }
  double right = m.right;
  if (p.colorbar) right += kColorBarSpace;
  if (p.legend == LegendAt::outside_right) {
    double widest = 0;
    for (std::size_t j = static_cast<std::size_t>(col); j < f.panels.size();
         j += static_cast<std::size_t>(cols))
      if (f.panels[j].legend == LegendAt::outside_right)
        widest = std::max(widest, legend_size(measure, legend_entries(f.panels[j])).width);
    right += widest + 12;
  }
  const Area data{cell.left + m.left, cell.top + m.top, std::max(1.0, cell.width - m.left - right),
                  std::max(1.0, cell.height - m.top - m.bottom)};
  return {cell, data};
}

Mapping mapping(const Figure& f, std::size_t i, cairo_t* measure) {
  const Panel& p = f.panels.at(i);
  return {layout(f, i, measure).data, resolve(p, true), resolve(p, false), p.x.scale, p.y.scale};
}

std::vector<Tick> ticks_for(const Axis& a, Range r, double pixels, double spacing) {
  if (!a.ticks.empty()) return a.ticks;
  if (a.scale == Scale::log) return log_ticks(r.lo, r.hi);
  return linear_ticks(r.lo, r.hi, std::max(2, static_cast<int>(pixels / spacing)));
}

void draw_axes(cairo_t* cr, const Panel& p, const Mapping& m) {
  const Area& a = m.area;
  const auto xt = ticks_for(p.x, m.xr, a.width, 110);
  const auto yt = ticks_for(p.y, m.yr, a.height, 60);
  cairo_set_line_width(cr, 1);
  auto inside_x = [&](double v) { return v >= a.left - 0.5 && v <= a.left + a.width + 0.5; };
  auto inside_y = [&](double v) { return v >= a.top - 0.5 && v <= a.top + a.height + 0.5; };
  // Grid first (behind the data), snapped to pixel centres so 1 px lines stay crisp.
  auto vline = [&](double x, Rgb c) {
    color(cr, c);
    cairo_move_to(cr, std::floor(x) + 0.5, a.top);
    cairo_line_to(cr, std::floor(x) + 0.5, a.top + a.height);
    cairo_stroke(cr);
  };
  auto hline = [&](double y, Rgb c) {
    color(cr, c);
    cairo_move_to(cr, a.left, std::floor(y) + 0.5);
    cairo_line_to(cr, a.left + a.width, std::floor(y) + 0.5);
    cairo_stroke(cr);
  };
  if (p.x.grid && p.x.ticks.empty() && p.x.scale == Scale::log)
    for (double v : log_minor_ticks(m.xr.lo, m.xr.hi)) vline(m.px(v), kMinorGrid);
  if (p.y.grid && p.y.ticks.empty() && p.y.scale == Scale::log)
    for (double v : log_minor_ticks(m.yr.lo, m.yr.hi)) hline(m.py(v), kMinorGrid);
  if (p.x.grid)
    for (const auto& t : xt)
      if (inside_x(m.px(t.value))) vline(m.px(t.value), kGrid);
  if (p.y.grid)
    for (const auto& t : yt)
      if (inside_y(m.py(t.value))) hline(m.py(t.value), kGrid);
}

void draw_frame(cairo_t* cr, const Panel& p, const Mapping& m) {
  const Area& a = m.area;
  const auto xt = ticks_for(p.x, m.xr, a.width, 110);
  const auto yt = ticks_for(p.y, m.yr, a.height, 60);
  cairo_set_line_width(cr, 1);
  color(cr, kAxis);
  cairo_rectangle(cr, std::floor(a.left) + 0.5, std::floor(a.top) + 0.5, std::round(a.width),
                  std::round(a.height));
  cairo_stroke(cr);
  font(cr, kTickFont);
  const double bottom = a.top + a.height;
  for (const auto& t : xt) {
    const double x = m.px(t.value);
    if (x < a.left - 0.5 || x > a.left + a.width + 0.5) continue;
    color(cr, kAxis);
    cairo_move_to(cr, std::floor(x) + 0.5, bottom);
    cairo_line_to(cr, std::floor(x) + 0.5, bottom + 5);
    cairo_stroke(cr);
    color(cr, kText);
    text(cr, x, bottom + 16, t.label, 0.5);
  }
  double widest = 0;
  for (const auto& t : yt) {
    const double y = m.py(t.value);
    if (y < a.top - 0.5 || y > bottom + 0.5) continue;
    color(cr, kAxis);
    cairo_move_to(cr, a.left - 5, std::floor(y) + 0.5);
    cairo_line_to(cr, a.left, std::floor(y) + 0.5);
    cairo_stroke(cr);
    color(cr, kText);
    text(cr, a.left - 8, y, t.label, 1);
    widest = std::max(widest, text_width(cr, t.label));
  }
  font(cr, kLabelFont);
  color(cr, kText);
  if (!p.x.label.empty()) text(cr, a.left + a.width / 2, bottom + 40, p.x.label, 0.5);
  if (!p.y.label.empty())
    rotated_text(cr, std::max(12.0, a.left - widest - 24), a.top + a.height / 2, p.y.label);
  if (!p.title.empty()) {
    font(cr, kTitleFont, true);
    text(cr, a.left + a.width / 2, a.top - 20, p.title, 0.5);
  }
}

void draw_bands(cairo_t* cr, const Panel& p, const Mapping& m) {
  const Area& a = m.area;
  for (const auto& b : p.bands) {
    const double x0 = std::max(a.left, m.px(b.x0));
    const double x1 = std::min(a.left + a.width, m.px(b.x1));
    if (x1 <= x0) continue;
    color(cr, b.color, b.alpha);
    cairo_rectangle(cr, x0, a.top, x1 - x0, a.height);
    cairo_fill(cr);
    color(cr, b.color, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, std::floor(x0) + 0.5, a.top);
    cairo_line_to(cr, std::floor(x0) + 0.5, a.top + a.height);
    cairo_stroke(cr);
  }
}

void draw_band_labels(cairo_t* cr, const Panel& p, const Mapping& m) {
  const Area& a = m.area;
  font(cr, kLabelFont, true);
  for (const auto& b : p.bands) {
    const double x0 = std::max(a.left, m.px(b.x0));
    const double x1 = std::min(a.left + a.width, m.px(b.x1));
    const auto fits = [&](const std::string& s) {
      return !s.empty() && x1 - x0 >= text_width(cr, s) + 8;
    };
    const std::string& label = fits(b.label) ? b.label : b.short_label;
    if (!fits(label)) continue;
    const double w = text_width(cr, label) + 12;
    const double cx = (x0 + x1) / 2;
    color(cr, hex(0xffffff), 0.85);
    cairo_rectangle(cr, cx - w / 2, a.top + 4, w, 20);
    cairo_fill(cr);
    color(cr, b.color);
    text(cr, cx, a.top + 14, label, 0.5);
  }
}

double normalised(double v, double lo, double hi) {
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

Range heat_range(const Heatmap& h) {
  Extent e;
  for (double v : h.values) e.add(v, Scale::linear);
  Range r = e.empty() ? Range{0, 1} : Range{e.lo, e.hi};
  if (h.lo) r.lo = *h.lo;
  if (h.hi) r.hi = *h.hi;
  return r;
}

void draw_heatmap(cairo_t* cr, const Heatmap& h, const Mapping& m) {
  if (h.values.size() != h.rows * h.cols)
    throw std::invalid_argument(
        fmt::format("plot: heat map has {} values for {}×{}", h.values.size(), h.rows, h.cols));
  if (h.rows == 0 || h.cols == 0) return;
  const Range r = heat_range(h);
  SurfacePtr img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(h.cols),
                                            static_cast<int>(h.rows)),
                 cairo_surface_destroy);
  cairo_surface_flush(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  for (std::size_t row = 0; row < h.rows; ++row) {
    // Image row 0 is the top of the picture, which is the last data row.
    auto* out = reinterpret_cast<std::uint32_t*>(data + (h.rows - 1 - row) * stride);
    for (std::size_t col = 0; col < h.cols; ++col) {
      const double v = h.values[row * h.cols + col];
      const Rgb c = std::isfinite(v) ? viridis(normalised(v, r.lo, r.hi)) : kMissing;
      out[col] = 0xff000000u | (static_cast<std::uint32_t>(std::lround(c.r * 255)) << 16) |
                 (static_cast<std::uint32_t>(std::lround(c.g * 255)) << 8) |
                 static_cast<std::uint32_t>(std::lround(c.b * 255));
    }
  }
  cairo_surface_mark_dirty(img.get());
  const double x0 = m.px(h.x0), x1 = m.px(h.x1), y0 = m.py(h.y1), y1 = m.py(h.y0);
  cairo_save(cr);
  cairo_translate(cr, x0, y0);
  cairo_scale(cr, (x1 - x0) / static_cast<double>(h.cols), (y1 - y0) / static_cast<double>(h.rows));
  cairo_set_source_surface(cr, img.get(), 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle(cr, 0, 0, static_cast<double>(h.cols), static_cast<double>(h.rows));
  cairo_fill(cr);
  cairo_restore(cr);
}

void draw_boxes(cairo_t* cr, const Panel& p, const Mapping& m) {
  for (const auto& b : p.boxes) {
    const double x0 = m.px(b.x0), x1 = m.px(b.x1), y0 = m.py(b.y1), y1 = m.py(b.y0);
    if (!std::isfinite(x0 + x1 + y0 + y1)) continue;
    cairo_rectangle(cr, std::min(x0, x1), std::min(y0, y1), std::abs(x1 - x0), std::abs(y1 - y0));
    color(cr, b.color, b.alpha);
    if (!b.outline) {
      cairo_fill(cr);
      continue;
    }
    cairo_fill_preserve(cr);
    color(cr, Rgb{b.color.r * 0.6, b.color.g * 0.6, b.color.b * 0.6}, b.alpha);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
  }
}

void draw_series(cairo_t* cr, const Panel& p, const Mapping& m) {
  for (const auto& s : p.series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument(fmt::format("plot: series '{}' has {} x and {} y values", s.label,
                                              s.x.size(), s.y.size()));
    auto ok = [&](std::size_t i) { return usable(s.x[i], p.x.scale) && usable(s.y[i], p.y.scale); };
    color(cr, s.color, s.alpha);
    if (s.mark != Mark::points) {
      cairo_set_line_width(cr, s.width);
      bool pen = false;
      for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (!ok(i)) {
          pen = false;
          continue;
        }
        if (pen)
          cairo_line_to(cr, m.px(s.x[i]), m.py(s.y[i]));
        else
          cairo_move_to(cr, m.px(s.x[i]), m.py(s.y[i]));
        pen = true;
      }
      cairo_stroke(cr);
    }
    if (s.mark != Mark::line) {
      for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (!ok(i)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, m.px(s.x[i]), m.py(s.y[i]), 1.6 * s.width, 0, 2 * M_PI);
      }
      cairo_fill(cr);
    }
  }
}

void draw_labels(cairo_t* cr, const Panel& p, const Mapping& m) {
  font(cr, 11.5);
  for (const auto& l : p.labels) {
    if (!usable(l.x, p.x.scale) || !usable(l.y, p.y.scale)) continue;
    color(cr, l.color);
    cairo_move_to(cr, m.px(l.x) + 5, m.py(l.y) - 5);
    cairo_show_text(cr, l.text.c_str());
  }
}

void draw_legend(cairo_t* cr, const Panel& p, const Mapping& m) {
  const auto entries = legend_entries(p);
  if (entries.empty()) return;
  const LegendSize sz = legend_size(cr, entries);
  const Area& a = m.area;
  auto corner = [&](LegendAt at) -> std::pair<double, double> {
    const double left = a.left + 10, right = a.left + a.width - sz.width - 10;
    const double top = a.top + 10, bottom = a.top + a.height - sz.height - 10;
    switch (at) {
      case LegendAt::top_left:
        return {left, top};
      case LegendAt::bottom_right:
        return {right, bottom};
      case LegendAt::bottom_left:
        return {left, bottom};
      case LegendAt::outside_right:
        return {a.left + a.width + 12 + (p.colorbar ? kColorBarSpace : 0), a.top};
      default:
        return {right, top};
    }
  };
  auto covered = [&](std::pair<double, double> at) {
    int n = 0;
    for (const auto& s : p.series)
      for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!usable(s.x[i], p.x.scale) || !usable(s.y[i], p.y.scale)) continue;
        const double px = m.px(s.x[i]), py = m.py(s.y[i]);
        n += px >= at.first - 4 && px <= at.first + sz.width + 4 && py >= at.second - 4 &&
             py <= at.second + sz.height + 4;
      }
    return n;
  };
  auto [x, y] = corner(p.legend);
  if (p.legend == LegendAt::best) {
    int fewest = covered({x, y});
    for (LegendAt at : {LegendAt::top_left, LegendAt::bottom_right, LegendAt::bottom_left})
      if (const int n = covered(corner(at)); n < fewest) {
        fewest = n;
        std::tie(x, y) = corner(at);
      }
  }
  color(cr, hex(0xffffff), 0.88);
  cairo_rectangle(cr, x, y, sz.width, sz.height);
  cairo_fill_preserve(cr);
  color(cr, hex(0xcccccc));
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  font(cr, kTickFont);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double ex =
        x + 8 + static_cast<double>(i / static_cast<std::size_t>(sz.rows)) * sz.column_width;
    const double ey =
        y + 5 + kLegendRow * (static_cast<double>(i % static_cast<std::size_t>(sz.rows)) + 0.5);
    color(cr, e.color);
    if (e.swatch) {
      cairo_rectangle(cr, ex + 4, ey - 6, kLegendSample - 8, 12);
      cairo_fill(cr);
    } else {
      if (e.mark != Mark::points) {
        cairo_set_line_width(cr, 2.2);
        cairo_move_to(cr, ex, ey);
        cairo_line_to(cr, ex + kLegendSample, ey);
        cairo_stroke(cr);
      }
      if (e.mark != Mark::line) {
        cairo_arc(cr, ex + kLegendSample / 2, ey, 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
      }
    }
    color(cr, kText);
    text(cr, ex + kLegendSample + 8, ey, e.label, 0);
  }
}

void draw_colorbar(cairo_t* cr, const Panel& p, const Mapping& m) {
  const ColorBar& cb = *p.colorbar;
  Range r{cb.lo, cb.hi};
  if (p.heatmap && cb.ticks.empty() && cb.lo == 0 && cb.hi == 1) r = heat_range(*p.heatmap);
  const Area& a = m.area;
  const double x = a.left + a.width + 18, w = 16;
  cairo_pattern_t* g = cairo_pattern_create_linear(0, a.top + a.height, 0, a.top);
  for (int i = 0; i <= 16; ++i) {
    const Rgb c = viridis(i / 16.0);
    cairo_pattern_add_color_stop_rgb(g, i / 16.0, c.r, c.g, c.b);
  }
  cairo_rectangle(cr, x, a.top, w, a.height);
  cairo_set_source(cr, g);
  cairo_fill(cr);
  cairo_pattern_destroy(g);
  color(cr, kAxis);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, std::floor(x) + 0.5, std::floor(a.top) + 0.5, w, std::round(a.height));
  cairo_stroke(cr);
  const int target = std::clamp(static_cast<int>(a.height / 36), 2, 5);
  const auto ticks = cb.ticks.empty() ? linear_ticks(r.lo, r.hi, target) : cb.ticks;
  font(cr, kTickFont);
  double widest = 0;
  for (const auto& t : ticks) {
    const double y = a.top + a.height - normalised(t.value, r.lo, r.hi) * a.height;
    if (y < a.top - 0.5 || y > a.top + a.height + 0.5) continue;
    color(cr, kAxis);
    cairo_move_to(cr, x + w, std::floor(y) + 0.5);
    cairo_line_to(cr, x + w + 4, std::floor(y) + 0.5);
    cairo_stroke(cr);
    color(cr, kText);
    text(cr, x + w + 7, y, t.label, 0);
    widest = std::max(widest, text_width(cr, t.label));
  }
  if (!cb.label.empty()) {
    font(cr, kLabelFont);
    rotated_text(cr, x + w + 7 + widest + 14, a.top + a.height / 2, cb.label);
  }
}

SurfacePtr draw(const Figure& f) {
  if (f.width <= 0 || f.height <= 0)
    throw Error(fmt::format("plot: cannot draw a {}×{} picture", f.width, f.height), 1);
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, f.width, f.height),
                     cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw Error(
        fmt::format("plot: {}", cairo_status_to_string(cairo_surface_status(surface.get()))), 1);
  auto ctx = make_context(surface.get());
  cairo_t* cr = ctx.get();
  color(cr, hex(0xffffff));
  cairo_paint(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  if (!f.title.empty()) {
    font(cr, kFigureTitleFont, true);
    color(cr, kText);
    text(cr, f.width / 2.0, kFigureTitleSpace / 2 + 2, f.title, 0.5);
  }
  for (std::size_t i = 0; i < f.panels.size(); ++i) {
    const Panel& p = f.panels[i];
    const Mapping m = mapping(f, i, cr);
    cairo_save(cr);
    cairo_rectangle(cr, m.area.left, m.area.top, m.area.width, m.area.height);
    cairo_clip(cr);
    draw_bands(cr, p, m);
    if (p.heatmap)
      draw_heatmap(cr, *p.heatmap, m);
    else
      draw_axes(cr, p, m);
    draw_boxes(cr, p, m);
    draw_series(cr, p, m);
    draw_labels(cr, p, m);
    draw_band_labels(cr, p, m);
    cairo_restore(cr);
    draw_frame(cr, p, m);
    if (p.colorbar) draw_colorbar(cr, p, m);
    draw_legend(cr, p, m);
  }
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    throw Error(fmt::format("plot: {}", cairo_status_to_string(cairo_status(cr))), 1);
  cairo_surface_flush(surface.get());
  return surface;
}

Pixels pixels_of(cairo_surface_t* s) {
  Pixels out;
  out.width = cairo_image_surface_get_width(s);
  out.height = cairo_image_surface_get_height(s);
  const bool opaque = cairo_image_surface_get_format(s) == CAIRO_FORMAT_RGB24;
  const unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  out.argb.resize(static_cast<std::size_t>(out.width) * out.height);
  for (int y = 0; y < out.height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
    for (int x = 0; x < out.width; ++x)
      out.argb[static_cast<std::size_t>(y) * out.width + x] =
          opaque ? row[x] | 0xff000000u : row[x];
  }
  return out;
}

}  // namespace

Area data_area(const Figure& f, std::size_t panel) {
  Measure m;
  return layout(f, panel, m.cr.get()).data;
}

Range x_range(const Figure& f, std::size_t panel) {
  return resolve(f.panels.at(panel), true);
}

Range y_range(const Figure& f, std::size_t panel) {
  return resolve(f.panels.at(panel), false);
}

Pixels render(const Figure& f) {
  return pixels_of(draw(f).get());
}

void write_png(const Figure& f, const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent))
    throw bad_file(path.string(),
                   "cannot write the picture: the folder " + parent.string() + " does not exist");
  const auto surface = draw(f);
  const auto st = cairo_surface_write_to_png(surface.get(), path.c_str());
  if (st != CAIRO_STATUS_SUCCESS)
    throw bad_file(path.string(),
                   std::string("cannot write the picture: ") + cairo_status_to_string(st));
}

Pixels read_png(const std::filesystem::path& path) {
  SurfacePtr s(cairo_image_surface_create_from_png(path.c_str()), cairo_surface_destroy);
  if (const auto st = cairo_surface_status(s.get()); st != CAIRO_STATUS_SUCCESS)
    throw bad_file(path.string(),
                   std::string("cannot read the PNG: ") + cairo_status_to_string(st));
  return pixels_of(s.get());
}

}  // namespace th::plot
