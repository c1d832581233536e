#include "model/pocket_spm.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/pocket_process.h"

namespace th::model {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out.flush()) throw Error(p.string() + ": write failed", 1);
}

}  // namespace

void train_tokenizer(const std::filesystem::path& segments, int vocab_size,
                     const std::filesystem::path& prefix) {
  // Gemma-like choices: BPE, byte fallback (no unknown text), digits split, no normalisation.
  // One thread and a fixed seed keep the result byte-identical across runs; the model records its
  // training paths, so the tool runs in the output folder with bare file names.
  const auto dir = std::filesystem::absolute(prefix).parent_path();
  const auto input = std::filesystem::absolute(segments);
  if (input.parent_path() != dir)
    throw Error(segments.string() + ": must be in the tokenizer's folder " + dir.string(), 1);
  run_process({"spm_train",
               "--input=" + input.filename().string(),
               "--model_prefix=" + prefix.filename().string(),
               "--vocab_size=" + std::to_string(vocab_size),
               "--model_type=bpe",
               "--character_coverage=1.0",
               "--byte_fallback=true",
               "--split_digits=true",
               "--normalization_rule_name=identity",
               "--pad_id=0",
               "--eos_id=1",
               "--bos_id=2",
               "--unk_id=3",
               "--pad_piece=<pad>",
               "--eos_piece=<eos>",
               "--bos_piece=<bos>",
               "--unk_piece=<unk>",
               "--num_threads=1",
               "--random_seed=1",
               "--input_sentence_size=0",
               "--max_sentence_length=16384",
               "--minloglevel=2"},
              "/dev/null", "/dev/null", dir);
}

std::vector<std::vector<int32_t>> encode_lines(const std::filesystem::path& model,
                                               const std::filesystem::path& lines,
                                               const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  auto out = scratch / "spm-encode-ids.txt";
  run_process({"spm_encode", "--model=" + model.string(), "--output_format=id"}, lines, out);
  std::vector<std::vector<int32_t>> result;
  std::istringstream in(slurp(out));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    int32_t id = 0;
    while (ls >> id) ids.push_back(id);
    result.push_back(std::move(ids));
  }
  return result;
}

std::vector<int32_t> encode_text(const std::filesystem::path& model, const std::string& text,
                                 const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  auto in = scratch / "spm-encode-text.txt";
  write_text(in, text + "\n");
  auto lines = encode_lines(model, in, scratch);
  return lines.empty() ? std::vector<int32_t>{} : lines.front();
}

std::string decode_ids(const std::filesystem::path& model, const std::vector<int32_t>& ids,
                       const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  auto in = scratch / "spm-decode-ids.txt";
  auto out = scratch / "spm-decode-text.txt";
  std::string line;
  for (int32_t id : ids) {
    if (id == kPadId || id == kEosId || id == kBosId) continue;
    line += (line.empty() ? "" : " ") + std::to_string(id);
  }
  write_text(in, line + "\n");
  run_process({"spm_decode", "--model=" + model.string(), "--input_format=id"}, in, out);
  std::string text = slurp(out);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace th::model
