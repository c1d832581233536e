#include "control/file_watch.h"

#include <set>
#include <system_error>

namespace th::control {

namespace fs = std::filesystem;

FileWatch::FileWatch(std::vector<fs::path> files, std::vector<fs::path> folders,
                     std::string extension)
    : files_(std::move(files)), folders_(std::move(folders)), extension_(std::move(extension)) {
  reported_ = last_ = scan();
}

std::map<fs::path, FileWatch::Stamp> FileWatch::scan() const {
  std::map<fs::path, Stamp> out;
  std::error_code ec;
  const auto add = [&](const fs::path& p) {
    const auto t = fs::last_write_time(p, ec);
    if (ec) return;  // gone between listing and stat: a change the next scan sees
    const auto size = fs::file_size(p, ec);
    if (!ec) out[p] = {t, size};
  };
  for (const auto& f : files_) add(f);
  for (const auto& d : folders_) {
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == extension_) add(it->path());
  }
  return out;
}

std::vector<fs::path> FileWatch::poll() {
  auto now = scan();
  const bool settled = now == last_;
  last_ = std::move(now);
  if (!settled || last_ == reported_) return {};
  std::set<fs::path> changed;
  for (const auto& [p, s] : last_)
    if (auto it = reported_.find(p); it == reported_.end() || it->second != s) changed.insert(p);
  for (const auto& [p, s] : reported_)
    if (!last_.count(p)) changed.insert(p);
  reported_ = last_;
  return {changed.begin(), changed.end()};
}

void FileWatch::set_folders(std::vector<fs::path> folders) {
  folders_ = std::move(folders);
  reported_ = last_ = scan();
}

}  // namespace th::control
