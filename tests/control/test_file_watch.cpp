// The live set's file watch on real files: edits, new and removed pattern files are reported
// once, after they settle (one quiet poll); other extensions and untouched files are not.
// Times are set with last_write_time, so nothing sleeps.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "control/file_watch.h"
#include "support.h"

namespace th::control {

namespace fs = std::filesystem;

TEST_CASE("file watch: a settled edit is reported once") {
  const auto dir = test::scratch("file_watch");
  fs::remove_all(dir);
  fs::create_directories(dir / "patterns");
  const auto session = dir / "set.toml", acid = dir / "patterns/acid.toml";
  std::ofstream(session) << "tempo = 128\n";
  std::ofstream(acid) << "a = 1\n";
  std::ofstream(dir / "patterns/notes.txt") << "x\n";
  const auto t0 = fs::last_write_time(session);
  FileWatch w({session}, {dir / "patterns"}, ".toml");
  CHECK(w.poll().empty());

  // An edit: seen, then reported on the next quiet poll, then never again.
  std::ofstream(acid) << "a = 2\n";
  fs::last_write_time(acid, t0 + std::chrono::seconds(1));
  CHECK(w.poll().empty());  // not settled yet
  CHECK(w.poll() == std::vector<fs::path>{acid});
  CHECK(w.poll().empty());

  // Written twice in a row: reported once, after the second write settles.
  fs::last_write_time(session, t0 + std::chrono::seconds(2));
  CHECK(w.poll().empty());
  std::ofstream(session) << "tempo = 130\n";
  fs::last_write_time(session, t0 + std::chrono::seconds(3));
  CHECK(w.poll().empty());
  CHECK(w.poll() == std::vector<fs::path>{session});

  // A new pattern file, and one removed; another extension is ignored.
  const auto house = dir / "patterns/house.toml";
  std::ofstream(house) << "b = 1\n";
  std::ofstream(dir / "patterns/other.txt") << "y\n";
  w.poll();
  CHECK(w.poll() == std::vector<fs::path>{house});
  fs::remove(acid);
  w.poll();
  CHECK(w.poll() == std::vector<fs::path>{acid});
  CHECK(w.poll().empty());
}

TEST_CASE("file watch: after set_folders only the new folder's edits count") {
  const auto dir = test::scratch("file_watch_folders");
  fs::create_directories(dir / "old");
  fs::create_directories(dir / "new");
  std::ofstream(dir / "old/a.toml") << "a";
  std::ofstream(dir / "new/b.toml") << "b";
  FileWatch w({}, {dir / "old"}, ".toml");
  w.set_folders({dir / "new"});
  CHECK(w.poll().empty());  // what the new folder holds is the baseline, not a change
  std::ofstream(dir / "old/a.toml") << "edited";
  std::ofstream(dir / "new/b.toml") << "edited, longer";
  CHECK(w.poll().empty());  // seen, not yet settled
  CHECK(w.poll() == std::vector<fs::path>{dir / "new/b.toml"});
  CHECK(w.folders() == std::vector<fs::path>{dir / "new"});
}

}  // namespace th::control
