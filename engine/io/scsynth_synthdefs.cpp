#include "io/scsynth_synthdefs.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace th::io {
namespace fs = std::filesystem;
namespace {

// Big-endian reader over a whole file; every read is bounds-checked and names the field.
class Reader {
 public:
  Reader(const fs::path& file, const std::vector<std::byte>& b) : file_(file.string()), b_(b) {}

  std::uint64_t be(std::size_t n, const char* field) {
    need(n, field);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(b_[pos_++]);
    return v;
  }
  std::int32_t i32(const char* field) { return static_cast<std::int32_t>(be(4, field)); }
  std::int32_t count(const char* field, std::size_t min_item_bytes) {
    std::int32_t n = i32(field);
    if (n < 0 || static_cast<std::size_t>(n) * min_item_bytes > left())
      throw bad_field(file_, field, "a count that fits the file", std::to_string(n));
    return n;
  }
  float f32(const char* field) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(be(4, field)));
  }
  std::string pstring(const char* field) {
    std::size_t n = be(1, field);
    need(n, field);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void skip(std::size_t n, const char* field) {
    need(n, field);
    pos_ += n;
  }
  std::size_t left() const { return b_.size() - pos_; }
  const std::string& file() const { return file_; }

 private:
  void need(std::size_t n, const char* field) {
    if (n > left()) throw bad_field(file_, field, "more bytes", "end of file");
  }
  std::string file_;
  const std::vector<std::byte>& b_;
  std::size_t pos_ = 0;
};

SynthDefInfo read_def(Reader& r) {
  SynthDefInfo d;
  d.name = r.pstring("synthdef name");
  std::int32_t nconst = r.count("constant count", 4);
  r.skip(4 * static_cast<std::size_t>(nconst), "constants");
  std::int32_t nparams = r.count("parameter count", 4);
  std::vector<float> init(nparams);
  for (auto& v : init) v = r.f32("parameter values");
  std::int32_t nnames = r.count("parameter name count", 5);
  for (std::int32_t i = 0; i < nnames; ++i) {
    std::string name = r.pstring("parameter name");
    std::int32_t index = r.i32("parameter index");
    if (index < 0 || index >= nparams)
      throw bad_field(r.file(), "parameter index of " + name, "0.." + std::to_string(nparams - 1),
                      std::to_string(index));
    d.controls.push_back({std::move(name), init[index]});
  }
  std::int32_t nugens = r.count("ugen count", 12);
  for (std::int32_t u = 0; u < nugens; ++u) {
    r.pstring("ugen class");
    r.skip(1, "ugen rate");
    std::int32_t nin = r.count("ugen input count", 8);
    std::int32_t nout = r.count("ugen output count", 1);
    r.skip(2, "ugen special index");
    r.skip(8 * static_cast<std::size_t>(nin), "ugen inputs");
    r.skip(static_cast<std::size_t>(nout), "ugen output rates");
  }
  std::size_t nvar = r.be(2, "variant count");
  for (std::size_t v = 0; v < nvar; ++v) {
    r.pstring("variant name");
    r.skip(4 * static_cast<std::size_t>(nparams), "variant values");
  }
  return d;
}

}  // namespace

bool SynthDefInfo::has_control(std::string_view n) const {
  return std::any_of(controls.begin(), controls.end(), [&](const auto& c) { return c.name == n; });
}

SynthDefFile read_synthdef_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_file(path.string(), "cannot open SynthDef file");
  SynthDefFile f;
  f.path = path;
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  f.bytes.resize(raw.size());
  std::memcpy(f.bytes.data(), raw.data(), raw.size());
  Reader r(path, f.bytes);
  if (r.be(4, "magic") != 0x53436766u)  // "SCgf"
    throw bad_field(path.string(), "magic", "\"SCgf\"", "something else");
  std::int32_t version = r.i32("version");
  if (version != 2) throw bad_field(path.string(), "version", "2", std::to_string(version));
  std::size_t ndefs = r.be(2, "synthdef count");
  if (ndefs == 0) throw bad_field(path.string(), "synthdef count", "at least 1", "0");
  for (std::size_t i = 0; i < ndefs; ++i) f.defs.push_back(read_def(r));
  if (r.left() != 0)
    throw bad_field(path.string(), "end of file", "no trailing bytes",
                    std::to_string(r.left()) + " bytes");
  return f;
}

std::vector<SynthDefFile> read_synthdef_dir(const fs::path& dir) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".scsyndef") paths.push_back(e.path());
  if (ec) throw bad_file(dir.string(), "cannot list SynthDef folder: " + ec.message());
  if (paths.empty())
    throw bad_file(dir.string(), "no .scsyndef files (run scripts/build-synthdefs.sh)");
  std::sort(paths.begin(), paths.end());
  std::vector<SynthDefFile> out;
  for (const auto& p : paths) out.push_back(read_synthdef_file(p));
  return out;
}

fs::path default_synthdef_dir() {
  if (const char* env = std::getenv("TH_SYNTHDEF_DIR")) return env;
  // Build trees live inside the source tree; walk up from the running binary.
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  for (; !ec && !p.empty() && p != p.root_path(); p = p.parent_path()) {
    fs::path cand = p / "sclang" / "synthdefs" / "compiled";
    if (fs::is_directory(cand)) return cand;
    fs::path installed = p / "share" / "tensorhaus" / "synthdefs";
    if (fs::is_directory(installed)) return installed;
  }
  return fs::path("sclang") / "synthdefs" / "compiled";
}

}  // namespace th::io
