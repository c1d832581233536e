// The built-in genre generators, one file each (genre_<name>.cpp), collected in one table.
#pragma once

#include <vector>

#include "music/composer.h"

namespace th::music {

// The table composer.cpp serves through genres(). Thread-safe.
std::vector<Genre> builtin_genres();

}  // namespace th::music
