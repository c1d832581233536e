// pattern_names: the genre patterns of a pattern folder are its *.toml files less the folder's
// shared files (the instrument table and the transition voices).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "music/session.h"
#include "support.h"

namespace th::music {

TEST_CASE("session: pattern_names lists a folder's patterns, not its shared files") {
  const auto dir = test::scratch("pattern_names");
  for (const char* f : {"acid.toml", "house.toml", "instruments.toml", "transitions.toml",
                        "notes.txt", "acid.toml.bak"})
    std::ofstream(dir / f) << "# " << f << "\n";
  CHECK(pattern_names(dir) == std::vector<std::string>{"acid", "house"});

  // The shipped folder: every genre's pattern, and never the shared files.
  const auto names = pattern_names(test::source_dir() / "patterns");
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::binary_search(names.begin(), names.end(), "acid"));
  CHECK(std::binary_search(names.begin(), names.end(), "house"));
  CHECK_FALSE(std::binary_search(names.begin(), names.end(), "instruments"));
  CHECK_FALSE(std::binary_search(names.begin(), names.end(), "transitions"));

  CHECK_THROWS_AS(pattern_names(dir / "missing"), std::filesystem::filesystem_error);
}

}  // namespace th::music
