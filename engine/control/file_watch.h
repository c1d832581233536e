// FileWatch: notices that files a live set reads (its session file, its pattern folder) were
// edited, so the set reloads itself. Polling, not inotify: a handful of stat calls a poll on
// the housekeeping thread, and it works the same on every filesystem.
// Contract:
// - Watches the given files and every file with the given extension directly inside the given
//   folders (files appearing or disappearing count as changes).
// - poll() compares each file's (mtime, size) with the last poll. A change is reported only
//   once it has settled: the poll after the one that saw it finds nothing newer (editors write
//   a file in several steps). Then poll returns the changed paths, once.
// Not thread-safe: one owner (the live command's main loop). Not realtime-safe (stat).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace th::control {

class FileWatch {
 public:
  FileWatch(std::vector<std::filesystem::path> files, std::vector<std::filesystem::path> folders,
            std::string extension);

  // The settled changes since the last report (empty: none).
  std::vector<std::filesystem::path> poll();

  // Watches these folders instead (a session edited to name another pattern folder); what
  // every watched file holds now is the baseline, so only later edits are reported.
  void set_folders(std::vector<std::filesystem::path> folders);
  const std::vector<std::filesystem::path>& folders() const { return folders_; }

 private:
  using Stamp = std::pair<std::filesystem::file_time_type, std::uintmax_t>;
  std::map<std::filesystem::path, Stamp> scan() const;

  std::vector<std::filesystem::path> files_, folders_;
  std::string extension_;
  std::map<std::filesystem::path, Stamp> reported_, last_;
};

}  // namespace th::control
