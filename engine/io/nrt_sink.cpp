#include "io/nrt_sink.h"

#include <algorithm>

namespace th::io {

NrtSink::NrtSink(NrtScore& score, ScsynthVoicer& voicer, const sched::Timeline& timeline,
                 sched::HostMicros origin, double offset_seconds)
    : score_(score),
      voicer_(voicer),
      timeline_(timeline),
      origin_(origin),
      offset_(offset_seconds) {}

double NrtSink::seconds(sched::HostMicros at) const {
  return static_cast<double>(at - origin_) * 1e-6 + offset_;
}

void NrtSink::note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) {
  const std::size_t n = voicer_.note_on(voice, e, 60.0 / timeline_.tempo(), buf_);
  const double t = seconds(at);
  for (std::size_t i = 0; i < n; ++i) score_.add(t, to_message(buf_[i]));
  last_ = std::max(last_, t);
}

void NrtSink::note_off(sched::VoiceId voice, sched::HostMicros at) {
  const std::size_t n = voicer_.note_off(voice, buf_);
  const double t = seconds(at);
  for (std::size_t i = 0; i < n; ++i) score_.add(t, to_message(buf_[i]));
  last_ = std::max(last_, t);
}

}  // namespace th::io
