#include "io/nrt_audio.h"

#include <sndfile.h>

#include "core/error.h"

namespace th::io {

Audio read_wav(const std::filesystem::path& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) throw Error("cannot read audio " + path.string() + ": " + sf_strerror(nullptr), 1);
  Audio a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  a.samples.resize(static_cast<std::size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f, a.samples.data(), info.frames);
  sf_close(f);
  if (got != info.frames) throw Error("short read from " + path.string(), 1);
  return a;
}

}  // namespace th::io
