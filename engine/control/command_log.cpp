#include "control/command_log.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace th::control {

CommandLog::CommandLog(const std::filesystem::path& file, std::function<sched::HostMicros()> now,
                       const sched::Timeline& timeline)
    : now_(std::move(now)), timeline_(timeline), out_(file, std::ios::binary | std::ios::trunc) {
  if (!out_) throw bad_file(file.string(), "cannot open for writing");
}

void CommandLog::set_origin(Beats beat, sched::HostMicros at) {
  std::lock_guard lock(mutex_);
  origin_beat_ = beat;
  origin_at_ = at;
}

Reply CommandLog::wrap(const Command& c, std::string_view source, Reply reply) {
  const sched::HostMicros at = now_();
  nlohmann::ordered_json j;
  {
    std::lock_guard lock(mutex_);
    j["seconds"] = static_cast<double>(at - origin_at_) / 1e6;
    j["beat"] = (timeline_.beat_at_time(at) - origin_beat_).to_double();
  }
  j["source"] = source;
  j["command"] = command_line(c);
  return [this, j = std::move(j), reply = std::move(reply)](const Answer& a) mutable {
    {
      std::lock_guard lock(mutex_);
      j["answer"] = a.error.empty() ? "ok" : a.error;
      j["answered_seconds"] = static_cast<double>(now_() - origin_at_) / 1e6;
      out_ << j.dump() << '\n';
      out_.flush();
    }
    reply(a);
  };
}

}  // namespace th::control
