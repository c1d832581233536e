#include "app/progress_bar.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

namespace th::app {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2) == 1) {}

void ProgressBar::show(double fraction, std::string_view note) {
  constexpr int kWidth = 30;
  const double f = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(f * kWidth + 0.5);
  const int percent = static_cast<int>(f * 100 + 0.5);
  if (!tty_) {
    // A log, not a terminal: one line per tenth, no carriage returns.
    if (percent / 10 == shown_ / 10 && shown_ >= 0) return;
    shown_ = percent;
    std::fprintf(stderr, "%s %3d%% %.*s\n", label_.c_str(), percent, static_cast<int>(note.size()),
                 note.data());
    return;
  }
  if (percent == shown_ && note == note_) return;
  shown_ = percent;
  note_ = note;
  std::fprintf(stderr, "\r%s [%s%s] %3d%% %-12s", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '-').c_str(), percent, note_.c_str());
  std::fflush(stderr);
  open_ = true;
}

void ProgressBar::done() {
  if (open_) std::fputc('\n', stderr);
  open_ = false;
}

}  // namespace th::app
