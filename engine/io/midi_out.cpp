#include "io/midi_out.h"

#include <fcntl.h>
#include <rtmidi/RtMidi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace th::io {
namespace {

// The MIDI file writer's channel order: 0..8, then 10..15 (channel 10 is the drums').
constexpr std::array<std::uint8_t, 15> kMelodicChannels = {0, 1,  2,  3,  4,  5,  6, 7,
                                                           8, 10, 11, 12, 13, 14, 15};
constexpr sched::HostMicros kLateUs = 2000;
constexpr sched::HostMicros kDrainOnStopUs = 2'000'000;
// One sender pass sleeps at most this long, so a message pushed meanwhile is seen in time.
constexpr sched::HostMicros kMaxSleepUs = 1000;
// Clock ticks queued in one flush at most (a stalled scheduler must not flood the queue).
constexpr int kMaxClockPerFlush = 24 * 64;

class RtMidiPort final : public MidiPort {
 public:
  explicit RtMidiPort(std::unique_ptr<RtMidiOut> out) : out_(std::move(out)) {}
  // RtMidi hands messages to JACK's process callback through a ring buffer: closing the client
  // before the next cycles have run loses the last ones (the stop). A few periods is enough.
  ~RtMidiPort() override { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }
  void send(std::span<const std::uint8_t> m) override { out_->sendMessage(m.data(), m.size()); }

 private:
  std::unique_ptr<RtMidiOut> out_;
};

// Libjack prints several lines to stderr when no server runs: the caller prints one instead.
class QuietStderr {
 public:
  QuietStderr() {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int null = ::open("/dev/null", O_WRONLY);
    if (saved_ >= 0 && null >= 0) ::dup2(null, 2);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    std::fflush(stderr);
    if (saved_ >= 0) ::dup2(saved_, 2), ::close(saved_);
  }

 private:
  int saved_ = -1;
};

void on_rtmidi_error(RtMidiError::Type type, const std::string& text, void* user) {
  auto* first = static_cast<std::string*>(user);
  if (type != RtMidiError::DEBUG_WARNING && first->empty()) *first = text;
}

}  // namespace

int midi_velocity(const music::Event& e) {
  const double accent = std::clamp(e.params.get_or(music::Field::accent, 0.0), 0.0, 1.0);
  const double v = std::clamp(e.velocity, 0.0, 1.0);
  const double lifted = v + (1.0 - v) * accent * 0.5;
  return std::clamp(static_cast<int>(std::lround(lifted * 127.0)), 1, 127);
}

MidiPortOpened open_midi_port(const std::string& name, const std::string& client) {
  MidiPortOpened r;
  std::string problem;
  std::unique_ptr<RtMidiOut> out;
  {
    QuietStderr quiet;
    try {
      out = std::make_unique<RtMidiOut>(RtMidi::UNIX_JACK, client);
      out->setErrorCallback(on_rtmidi_error, &problem);
      // Without a server the client is missing: listing ports reports it through the callback.
      const unsigned n = out->getPortCount();
      if (problem.empty()) {
        for (unsigned i = 0; i < n && r.description.empty(); ++i) {
          const std::string dest = out->getPortName(i);
          if (dest.find(name) == std::string::npos) continue;
          out->openPort(i, name);
          r.description = "JACK port " + client + ":" + name + " connected to " + dest;
        }
        if (r.description.empty()) {
          out->openVirtualPort(name);
          r.description = "virtual JACK port " + client + ":" + name;
        }
      }
    } catch (const RtMidiError& e) {
      if (problem.empty()) problem = e.getMessage();
    }
  }
  if (!problem.empty() || !out) {
    r.description.clear();
    r.warning = "no MIDI output (" + (problem.empty() ? std::string("RtMidi failed") : problem) +
                "; MIDI here needs a running JACK server)";
    return r;
  }
  r.port = std::make_unique<RtMidiPort>(std::move(out));
  return r;
}

MidiOut::MidiOut(std::unique_ptr<MidiPort> port, std::function<sched::HostMicros()> now,
                 sched::HostMicros latency_us)
    : port_(std::move(port)),
      now_(std::move(now)),
      latency_us_(latency_us),
      queue_(std::make_unique<SpscQueue<MidiMessage, kQueue>>()) {
  thread_ = std::thread([this] { run(); });
}

MidiOut::~MidiOut() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

bool MidiOut::push(const MidiMessage& m) {
  if (!queue_->try_push(m)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  pushed_.fetch_add(1, std::memory_order_release);
  return true;
}

bool MidiOut::drain(int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (sent_.load(std::memory_order_acquire) < pushed_.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

MidiOutStats MidiOut::stats() const {
  return {sent_.load(), dropped_.load(), late_.load()};
}

void MidiOut::run() {
  struct Item {
    MidiMessage m;
    std::uint64_t seq;
  };
  // Min-heap on (time, order, arrival): the scheduler pushes a tick's notes, then its clock.
  const auto later = [](const Item& a, const Item& b) {
    if (a.m.at != b.m.at) return a.m.at > b.m.at;
    if (a.m.order != b.m.order) return a.m.order > b.m.order;
    return a.seq > b.seq;
  };
  std::vector<Item> heap;
  heap.reserve(kQueue);
  std::uint64_t seq = 0;
  sched::HostMicros deadline = 0;
  for (;;) {
    while (auto m = queue_->try_pop()) {
      heap.push_back({*m, seq++});
      std::push_heap(heap.begin(), heap.end(), later);
    }
    const sched::HostMicros now = now_();
    while (!heap.empty() && heap.front().m.at + latency_us_ <= now) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const Item it = heap.back();
      heap.pop_back();
      port_->send(std::span<const std::uint8_t>(it.m.bytes.data(), it.m.size));
      if (now - (it.m.at + latency_us_) > kLateUs) late_.fetch_add(1, std::memory_order_relaxed);
      sent_.fetch_add(1, std::memory_order_release);
    }
    if (stop_.load(std::memory_order_acquire)) {
      if (deadline == 0) deadline = now + kDrainOnStopUs;
      if (heap.empty() || heap.front().m.at + latency_us_ > deadline) break;
    }
    sched::HostMicros sleep = kMaxSleepUs;
    if (!heap.empty())
      sleep = std::clamp<sched::HostMicros>(heap.front().m.at + latency_us_ - now, 0, kMaxSleepUs);
    std::this_thread::sleep_for(std::chrono::microseconds(sleep));
  }
}

MidiSink::MidiSink(MidiOut& out, const music::InstrumentTable& table,
                   const sched::Timeline& timeline, std::function<sched::HostMicros()> now,
                   sched::HostMicros lookahead_us)
    : out_(out),
      table_(table),
      timeline_(timeline),
      now_(std::move(now)),
      lookahead_us_(lookahead_us),
      channel_(table.instruments().size(), -1) {}

void MidiSink::push(sched::HostMicros at, MidiOrder order, std::uint8_t b0, std::uint8_t b1,
                    std::uint8_t b2, std::uint8_t size) {
  MidiMessage m;
  m.at = at;
  m.bytes = {b0, b1, b2};
  m.size = size;
  m.order = order;
  out_.push(m);
}

int MidiSink::channel_for(int instrument, sched::HostMicros at) {
  if (instrument < 0) return -1;
  int& ch = channel_[static_cast<std::size_t>(instrument)];
  if (ch >= 0) return ch;
  const music::Instrument& ins = table_.instruments()[static_cast<std::size_t>(instrument)];
  if (ins.gm_drum) {
    ch = kDrumChannel;
  } else {
    ch = kMelodicChannels[static_cast<std::size_t>(melodic_++) % kMelodicChannels.size()];
    // Before start() the programs go out with the start; afterwards with the first note.
    if (running_)
      push(at, MidiOrder::program, static_cast<std::uint8_t>(0xC0 | ch),
           static_cast<std::uint8_t>(std::clamp(ins.gm_program, 0, 127)), 0, 2);
  }
  used_[static_cast<std::size_t>(ch)] = true;
  return ch;
}

void MidiSink::assign(const std::vector<music::Event>& events) {
  for (const auto& e : events) channel_for(table_.index_of(e.instrument), 0);
}

int MidiSink::channel_of(std::string_view instrument) const {
  const int i = table_.index_of(instrument);
  return i < 0 ? -1 : channel_[static_cast<std::size_t>(i)];
}

void MidiSink::start(Beats at) {
  const sched::HostMicros t = timeline_.time_at_beat(at);
  push(t, MidiOrder::start, 0xFA, 0, 0, 1);
  const auto& instruments = table_.instruments();
  for (std::size_t i = 0; i < instruments.size(); ++i)
    if (channel_[i] >= 0 && !instruments[i].gm_drum)
      push(t, MidiOrder::program, static_cast<std::uint8_t>(0xC0 | channel_[i]),
           static_cast<std::uint8_t>(std::clamp(instruments[i].gm_program, 0, 127)), 0, 2);
  next_clock_ = at;
  running_ = true;
}

void MidiSink::stop(sched::HostMicros at) {
  for (auto& v : voices_) {
    if (!v.open) continue;
    v.open = false;
    push(at, MidiOrder::note_off, static_cast<std::uint8_t>(0x80 | v.channel), v.key, 0);
  }
  for (std::size_t ch = 0; ch < used_.size(); ++ch)
    if (used_[ch]) push(at, MidiOrder::note_off, static_cast<std::uint8_t>(0xB0 | ch), 123, 0);
  for (auto& keys : sounding_) keys.fill(0);
  push(at, MidiOrder::stop, 0xFC, 0, 0, 1);
  running_ = false;
}

void MidiSink::note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) {
  const int index = table_.index_of(e.instrument);
  const int ch = channel_for(index, at);
  if (ch < 0) return;  // not in the table: nothing to play it with
  const music::Instrument& ins = table_.instruments()[static_cast<std::size_t>(index)];
  const int key = ins.gm_drum ? *ins.gm_drum : static_cast<int>(std::lround(e.pitch));
  const auto k = static_cast<std::uint8_t>(std::clamp(key, 0, 127));
  const auto c = static_cast<std::uint8_t>(ch);
  // A key already sounding on this channel is struck again: end it first, so the later
  // note-off of either voice cannot cut the other short (see note_off).
  auto& sounding = sounding_[c][k];
  if (sounding > 0) push(at, MidiOrder::note_off, static_cast<std::uint8_t>(0x80 | c), k, 0);
  ++sounding;
  push(at, MidiOrder::note_on, static_cast<std::uint8_t>(0x90 | c), k,
       static_cast<std::uint8_t>(midi_velocity(e)));
  voices_[voice % kSlots] = {voice, c, k, true};
}

void MidiSink::note_off(sched::VoiceId voice, sched::HostMicros at) {
  Voice& v = voices_[voice % kSlots];
  if (v.voice != voice || !v.open) return;
  v.open = false;
  auto& sounding = sounding_[v.channel][v.key];
  if (sounding == 0 || --sounding > 0) return;
  push(at, MidiOrder::note_off, static_cast<std::uint8_t>(0x80 | v.channel), v.key, 0);
}

void MidiSink::flush() {
  if (!running_) return;
  const sched::HostMicros horizon = now_() + lookahead_us_;
  const Beats step(1, 24);
  for (int n = 0; n < kMaxClockPerFlush && timeline_.time_at_beat(next_clock_) <= horizon; ++n) {
    push(timeline_.time_at_beat(next_clock_), MidiOrder::clock, 0xF8, 0, 0, 1);
    next_clock_ += step;
  }
}

}  // namespace th::io
