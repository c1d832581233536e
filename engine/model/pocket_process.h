// Child processes for the pocket trainer: the corpus reader (`bible`) and the SentencePiece
// command-line tools (spm_train, spm_encode, spm_decode). The C++ sentencepiece library is not
// linked because its protobuf collides with the one inside libtorch; the CLI tools give the same
// results. Contract: run_process() returns only when the child exited with status 0; otherwise it
// throws th::Error naming the command.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace th::model {

// Runs argv[0] (looked up on PATH) with stdin from `in`, stdout to `out` and working directory
// `cwd` (each optional: empty = inherit). stderr is inherited. Throws th::Error (exit code 1) when
// the program is missing or exits non-zero. Thread-safe; not realtime-safe.
void run_process(const std::vector<std::string>& argv, const std::filesystem::path& in = {},
                 const std::filesystem::path& out = {}, const std::filesystem::path& cwd = {});

}  // namespace th::model
