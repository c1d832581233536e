// The pocket trainer's data path: KJV parsing, corpus split, rows and batches, config text.
#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "model/hf_config.h"
#include "model/pocket_corpus.h"
#include "model/pocket_data.h"
#include "model/pocket_export.h"
#include "model/pocket_spm.h"
#include "support.h"

using namespace th::model;

TEST_CASE("parse_bible_output keeps chapters and drops verse numbers", "[pocket]") {
  const std::string text =
      "\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth.\n"
      "  2 And the earth was without form.\n\n1 Samuel 3\n\n  10 And the LORD came.\n";
  auto docs = parse_bible_output(text, "x.txt");
  REQUIRE(docs.size() == 2);
  CHECK(docs[0] == Document{"In the beginning God created the heaven and the earth.",
                            "And the earth was without form."});
  CHECK(docs[1] == Document{"And the LORD came."});
  CHECK_THROWS_AS(parse_bible_output("Genesis 1\n  x not a verse\n", "x.txt"), th::InputError);
  CHECK_THROWS_AS(parse_bible_output("  1 verse before any chapter\n", "x.txt"), th::InputError);
}

TEST_CASE("corpus text round-trips and splits every 20th document", "[pocket]") {
  std::vector<Document> docs;
  for (int i = 0; i < 45; ++i) docs.push_back({"doc " + std::to_string(i), "second line"});
  auto dir = th::test::scratch("pocket-corpus");
  write_corpus(dir / "c.txt", docs);
  CHECK(read_corpus(dir / "c.txt") == docs);
  auto split = split_corpus(docs);
  REQUIRE(split.validation.size() == 2);
  CHECK(split.validation[0][0] == "doc 19");
  CHECK(split.validation[1][0] == "doc 39");
  CHECK(split.train.size() == 43);
  CHECK(split.train[19][0] == "doc 20");
  std::ofstream(dir / "empty.txt") << "\n\n";
  CHECK_THROWS_AS(read_corpus(dir / "empty.txt"), th::InputError);
}

TEST_CASE("rows start with BOS and copy the stream from a segment start", "[pocket]") {
  TokenStream s;
  s.ids = {10, 11, 12, 13, 14, kEosId, 20, 21, 22, 23, kEosId};
  s.segment_starts = {0, 3, 6, 8};
  const std::vector<int64_t> starts{3, 6};
  Batch b = rows_at(s, starts, 4);
  CHECK(b.rows == 2);
  CHECK(b.cols == 4);
  CHECK(b.input == std::vector<int64_t>{kBosId, 13, 14, kEosId, kBosId, 20, 21, 22});
  CHECK(b.target == std::vector<int64_t>{13, 14, kEosId, 20, 20, 21, 22, 23});
  // Non-overlapping: 0 covers [0,4), next start ≥ 4 is 6, covers [6,10); 8 would overlap.
  CHECK(validation_starts(s, 4) == std::vector<int64_t>{0, 6});
  const std::vector<int64_t> past{8};
  CHECK_THROWS(rows_at(s, past, 4));
}

TEST_CASE("batch order is a function of the seed", "[pocket]") {
  TokenStream s;
  for (int i = 0; i < 1000; ++i) s.ids.push_back(4 + i % 50);
  for (int i = 0; i < 1000; i += 7) s.segment_starts.push_back(i);
  BatchSampler a(s, 16, 7), b(s, 16, 7), c(s, 16, 8);
  for (int k = 0; k < 3; ++k) {
    Batch x = a.next(8), y = b.next(8), z = c.next(8);
    CHECK(x.input == y.input);
    CHECK(x.input != z.input);
    for (int64_t r = 0; r < x.rows; ++r) CHECK(x.input[static_cast<std::size_t>(r * 16)] == kBosId);
  }
  TokenStream tiny;
  tiny.ids = {5, 6};
  tiny.segment_starts = {0};
  CHECK_THROWS_AS(BatchSampler(tiny, 16, 1), th::InputError);
}

TEST_CASE("pocket config.json loads as a Gemma 3 text config", "[pocket]") {
  PocketShape shape;
  auto c = parse_config(pocket_config_json(shape), "config.json");
  CHECK(c.model_type == "gemma3_text");
  CHECK(c.num_hidden_layers == 8);
  CHECK(c.head_dim == 32);
  CHECK(c.rope_theta == 1e6);
  CHECK(c.rope_local_base_freq == 1e4);
  CHECK(c.query_pre_attn_scalar == 32.0);
  CHECK(c.tie_word_embeddings);
  CHECK(c.hidden_act == "gelu_pytorch_tanh");
  CHECK(c.bos_token_id == kBosId);
  CHECK(c.eos_token_ids == std::vector<int64_t>{kEosId});
  CHECK(c.is_sliding == std::vector<bool>{true, true, true, false, true, true, true, false});
  CHECK(c.torch_dtype == "bfloat16");
  CHECK(pocket_tensor_names(shape).size() == 2 + 8 * 13);
}
