// Pictures as plain data: a Figure is a grid of Panels, each with two axes and what to draw on
// them (lines, points, filled boxes, vertical bands, a heat map, text). Nothing here knows about
// models or music: callers turn their own data into vectors of numbers, labels and colours.
// Contract: render() and write_png() are pure functions of the Figure — the same Figure gives
// the same pixels and byte-identical PNG files (no time stamp, no randomness, fixed font
// settings; text is set in DejaVu Sans, fonts-dejavu-core, so another version of that font on
// another machine may move glyphs by a pixel). Drawing order inside a panel: bands, heat map or
// grid, boxes, series, labels, band labels, then the frame, colour bar and legend on top.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plot/color.h"
#include "plot/ticks.h"

namespace th::plot {

enum class Scale : std::uint8_t { linear, log };

enum class Mark : std::uint8_t { line, points, line_points };

// A polyline and/or points. A non-finite point (or one ≤ 0 on a log axis) breaks the line.
struct Series {
  std::string label;  // "" = not in the legend
  std::vector<double> x, y;
  Rgb color;
  Mark mark = Mark::line;
  double width = 1.8;  // line width in pixels; points have radius 1.6 × width
  double alpha = 1.0;
};

// A filled rectangle in data coordinates: a piano-roll note, a bar of a bar chart.
struct Box {
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  Rgb color;
  double alpha = 1.0;
  bool outline = false;  // a darker 1 px edge, so touching boxes stay apart
};

// A vertical stripe across the whole data area (a section of a piece), labelled at its top.
struct Band {
  double x0 = 0, x1 = 0;
  std::string label;
  Rgb color;
  double alpha = 0.10;
  std::string short_label = {};  // drawn instead when the label does not fit ("" = none)
};

// Text anchored at a data point (drawn up and to the right of it).
struct Label {
  double x = 0, y = 0;
  std::string text;
  Rgb color;
};

struct Axis {
  std::string label;
  Scale scale = Scale::linear;
  std::optional<double> lo, hi;  // default: the range of what is drawn (lines get 3% air)
  std::vector<Tick> ticks;       // empty: automatic
  bool grid = true;
  double pad = 0.03;  // air around lines, points and labels, as a fraction of their span
};

// rows × cols values (row-major, row 0 at the bottom, at y0), spread over [x0, x1] × [y0, y1].
// Non-finite values are drawn light grey.
struct Heatmap {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  std::optional<double> lo, hi;  // colour range; default the finite min and max
};

// A viridis scale to the right of the data area: for a heat map, or for one line per layer.
struct ColorBar {
  std::string label;
  double lo = 0, hi = 1;
  std::vector<Tick> ticks;  // empty: automatic
};

// A legend entry with no series behind it (one per instrument of a piano roll).
struct Swatch {
  std::string label;
  Rgb color;
};

// best: the inside corner that covers the fewest data points (top right on a tie).
enum class LegendAt : std::uint8_t {
  best,
  top_right,
  top_left,
  bottom_right,
  bottom_left,
  outside_right
};

struct Panel {
  std::string title;
  Axis x, y;
  std::vector<Band> bands;
  std::optional<Heatmap> heatmap;
  std::vector<Box> boxes;
  std::vector<Series> series;
  std::vector<Label> labels;
  std::vector<Swatch> swatches;
  std::optional<ColorBar> colorbar;  // uses the heat map's range when it has one
  LegendAt legend = LegendAt::best;
};

// Space between a panel's grid cell and its data area, in pixels.
struct Margins {
  double left = 84, right = 28, top = 40, bottom = 58;
};

struct Figure {
  int width = 1200, height = 700;
  std::string title;
  int columns = 1;                  // panels fill the grid row by row
  std::vector<double> row_heights;  // relative heights of the grid rows; empty = equal
  // Default Margins{}; colour bars and outside legends add to the right margin (an outside legend
  // reserves the widest outside legend of its grid column, so stacked panels line up).
  std::optional<Margins> margins;
  std::vector<Panel> panels;
};

// A pixel rectangle (x to the right, y down, origin at the top-left corner).
struct Area {
  double left = 0, top = 0, width = 0, height = 0;
};

// The data area of panel i: where [x.lo, x.hi] × [y.lo, y.hi] is drawn. Thread-safe.
Area data_area(const Figure& f, std::size_t panel);

// The resolved axis range of panel i (what data_area maps onto). Thread-safe.
struct Range {
  double lo = 0, hi = 1;
};
Range x_range(const Figure& f, std::size_t panel);
Range y_range(const Figure& f, std::size_t panel);

struct Pixels {
  int width = 0, height = 0;
  std::vector<std::uint32_t> argb;  // row-major, 0xAARRGGBB (opaque: the background is white)
  // Throws std::out_of_range outside the picture. Thread-safe; realtime-safe.
  std::uint32_t at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height) throw std::out_of_range("Pixels::at");
    return argb[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                static_cast<std::size_t>(x)];
  }
};

// Thread-safe (each call has its own Cairo surface); not realtime-safe. Throws th::Error for a
// figure Cairo cannot draw (e.g. zero size) and std::invalid_argument for malformed data
// (x and y of different lengths, heat-map values ≠ rows × cols).
Pixels render(const Figure& f);
// Renders and writes a PNG. Throws th::InputError naming the path when it cannot be written.
void write_png(const Figure& f, const std::filesystem::path& path);
// Reads a PNG back (for tests and checks). Throws th::InputError naming the path.
Pixels read_png(const std::filesystem::path& path);

}  // namespace th::plot
