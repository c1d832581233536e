// `tensorhaus tokenize` end to end: the built binary on a text file, and its errors.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <cstdio>
#include <fstream>

#include "support.h"
#include "tokenizer_cases.h"

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(const std::string& args, const std::filesystem::path& scratch) {
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string cmd =
      th::test::tensorhaus_bin().string() + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, th::test::slurp(out), th::test::slurp(err)};
}

}  // namespace

TEST_CASE("tokenize command: one line of ids per line of text, as spm_encode gives",
          "[model][tokenizer][cli]") {
  const auto scratch = th::test::scratch("tokenize_cli");
  const auto model =
      th::test::shared_data("models/llama2-tokenizer");  // tokenizer.model is picked before .bin
  const auto text = th::test::test_data("tokenizers/llama2_cases.txt");
  auto r = run("tokenize --model " + model.string() + " --text-file " + text.string(), scratch);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out == th::test::slurp(th::test::test_data("tokenizers/llama2_cases.spm_ids")));

  // --add-special: what the tokenizer adds (Llama 2: BOS only), on every line.
  r = run("tokenize --add-special --model " + model.string() + " --text-file " + text.string(),
          scratch);
  REQUIRE(r.code == 0);
  std::istringstream got(r.out),
      want(th::test::slurp(th::test::test_data("tokenizers/llama2_cases.spm_ids")));
  int lines = 0;
  for (std::string g, w; std::getline(want, w) && std::getline(got, g); ++lines)
    CHECK(g == "1 " + w);
  CHECK(lines == 22);
}

TEST_CASE("tokenize command: a folder with only tokenizer.json, special tokens in the text",
          "[model][tokenizer][cli]") {
  const auto scratch = th::test::scratch("tokenize_cli_json");
  {
    std::ofstream f(scratch / "in.txt");
    f << "Hello world\n\nhello <|end_of_text|>\n";
  }
  auto r = run("tokenize --model " + th::test::shared_data("tokenizers/llama3.2-derived").string() +
                   " --text-file " + (scratch / "in.txt").string(),
               scratch);
  REQUIRE(r.code == 0);
  // Ids from SOURCES.md (ollama's tests): "hello world" 15339 1917; "hello <|end_of_text|>" 15339
  // 220 128001.
  CHECK(r.out == "9906 1917\n\n15339 220 128001\n");
  r = run("tokenize --add-special --model " +
              th::test::shared_data("tokenizers/llama3.2-derived").string() + " --text-file " +
              (scratch / "in.txt").string(),
          scratch);
  REQUIRE(r.code == 0);
  CHECK(r.out == "128000 9906 1917\n128000\n128000 15339 220 128001\n");
}

TEST_CASE("tokenize command: a broken tokenizer.json exits 2 naming the file",
          "[model][tokenizer][cli]") {
  const auto scratch = th::test::scratch("tokenize_cli_broken");
  std::filesystem::create_directories(scratch / "model");
  {
    std::ofstream f(scratch / "model/tokenizer.json");
    f << R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})";
  }
  {
    std::ofstream f(scratch / "in.txt");
    f << "ab\n";
  }
  auto r = run("tokenize --model " + (scratch / "model").string() + " --text-file " +
                   (scratch / "in.txt").string(),
               scratch);
  CHECK(r.code == 2);
  CHECK(r.err.find((scratch / "model/tokenizer.json").string()) != std::string::npos);
  CHECK(r.err.find("merges[0]") != std::string::npos);

  {
    std::ofstream f(scratch / "model/tokenizer.json");
    f << "{ not json";
  }
  r = run("tokenize --model " + (scratch / "model").string() + " --text-file " +
              (scratch / "in.txt").string(),
          scratch);
  CHECK(r.code == 2);
  CHECK(r.err.find("tokenizer.json") != std::string::npos);

  // No tokenizer at all: exit 2 naming the folder.
  std::filesystem::remove(scratch / "model/tokenizer.json");
  r = run("tokenize --model " + (scratch / "model").string() + " --text-file " +
              (scratch / "in.txt").string(),
          scratch);
  CHECK(r.code == 2);
  CHECK(r.err.find((scratch / "model").string()) != std::string::npos);
}
