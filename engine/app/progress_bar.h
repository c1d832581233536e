// One progress line on stderr, redrawn in place ("label [#####-----]  50% note"); when stderr
// is not a terminal, one plain line per tenth instead. Contract: redraws only when the percentage
// or the note changes; done() (or the destructor) ends the line, so an error message that follows
// starts on its own line. Not thread-safe (main thread); not realtime-safe (writes stderr).
#pragma once

#include <string>
#include <string_view>

namespace th::app {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { done(); }

  void show(double fraction, std::string_view note = {});
  void done();

 private:
  std::string label_, note_;
  bool tty_ = false;
  bool open_ = false;
  int shown_ = -1;
};

}  // namespace th::app
