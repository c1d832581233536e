// Compiled SynthDef files (.scsyndef, format v2 "SCgf") as scsynth receives them.
// Contract: read_synthdef_file checks the whole file structurally (magic, version, every
// length against the file size) and extracts each def's name and named controls with their
// defaults, so a score can be validated against the defs before rendering. Errors are
// th::InputError naming the file and the field. Allocates; worker thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace th::io {

struct SynthDefControl {
  std::string name;
  float default_value = 0;
};

struct SynthDefInfo {
  std::string name;
  std::vector<SynthDefControl> controls;
  // Whether the controls include `name`. Thread-safe; realtime-safe.
  bool has_control(std::string_view name) const;
};

struct SynthDefFile {
  std::filesystem::path path;
  std::vector<std::byte> bytes;    // the file as is, for /d_recv
  std::vector<SynthDefInfo> defs;  // usually one per file
};

// Thread-safe; allocates. Throws th::InputError on a malformed file.
SynthDefFile read_synthdef_file(const std::filesystem::path& path);

// Every *.scsyndef in dir, sorted by file name. Throws th::InputError if dir has none.
std::vector<SynthDefFile> read_synthdef_dir(const std::filesystem::path& dir);

// The committed compiled defs: $TH_SYNTHDEF_DIR if set, else the source tree's
// sclang/synthdefs/compiled. Thread-safe.
std::filesystem::path default_synthdef_dir();

}  // namespace th::io
