#include "model/pocket_export.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "model/pocket_corpus.h"
#include "model/pocket_spm.h"
#include "model/safetensors.h"

namespace th::model {
namespace {

void write_text(const std::filesystem::path& p, const std::string& text) {
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw Error(tmp.string() + ": write failed", 1);
  }
  std::filesystem::rename(tmp, p);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string readme(const PocketShape& s, const PocketRecipe& r, const PocketReport& rep) {
  std::ostringstream o;
  o << "# pocket — the embedded default model\n\n"
    << "A small causal language model with the Gemma 3 architecture, trained from scratch by "
       "`tensorhaus train-pocket` so that a fresh checkout has a real trained model without any "
       "download. It writes King James-style English; it knows nothing else.\n\n"
    << "## Corpus\n\n"
    << rep.corpus_name << "\n\n"
    << "License: " << rep.corpus_license << "\n\n"
    << "Split: documents (chapters) in order; every " << kValidationEvery
    << "th chapter (the 20th, 40th, …) is held out for validation. Training tokens: "
    << rep.train_tokens << "; validation tokens: " << rep.validation_tokens << ".\n\n"
    << "## Command\n\n```\n"
    << rep.command << "\n```\n\n"
    << "Reproducible: the tokenizer (spm_train, one thread, fixed seed), the initial weights and "
       "the batch order all follow from the seed; training runs in float32 on the CPU with "
       "libtorch, "
    << r.threads << " threads.\n\n"
    << "## Shape\n\n"
    << "| field | value |\n| --- | --- |\n"
    << "| architecture | Gemma3ForCausalLM (`gemma3_text`) |\n"
    << "| parameters | " << rep.parameters << " (embeddings tied) |\n"
    << "| vocabulary | " << s.vocab_size << " (SentencePiece BPE, byte fallback) |\n"
    << "| hidden size | " << s.hidden_size << " |\n"
    << "| layers | " << s.num_layers << " |\n"
    << "| attention heads / KV heads / head dim | " << s.num_heads << " / " << s.num_kv_heads
    << " / " << s.head_dim << " |\n"
    << "| MLP intermediate size | " << s.intermediate_size << " (gelu_pytorch_tanh) |\n"
    << "| sliding window | " << s.sliding_window << " tokens, every " << s.sliding_window_pattern
    << "th layer global |\n"
    << "| context | " << s.context << " |\n"
    << "| weights | BF16 safetensors |\n\n"
    << "## Training\n\n"
    << "| hyper-parameter | value |\n| --- | --- |\n"
    << "| steps | " << rep.steps_done << " of " << r.steps << " |\n"
    << "| batch | " << r.batch_rows << " rows × " << s.context << " tokens |\n"
    << "| optimizer | AdamW, β = (" << r.beta1 << ", " << r.beta2 << "), weight decay "
    << r.weight_decay << " on matrices (tied embedding included) |\n"
    << "| learning rate | " << r.peak_lr << " peak, " << r.warmup_steps
    << " warm-up steps, cosine to " << r.peak_lr * r.min_lr_ratio << " |\n"
    << "| gradient clipping | " << r.grad_clip << " |\n"
    << "| initialisation | normal(0, " << r.init_std << "), norm weights 0 (Gemma's 1 + w) |\n"
    << "| seed | " << r.seed << " |\n\n"
    << "## Results\n\n"
    << "| measure | value |\n| --- | --- |\n"
    << "| final training loss (mean of the last 50 steps) | " << fixed(rep.final_train_loss, 4)
    << " |\n"
    << "| validation loss (all held-out rows, shipped BF16 weights) | "
    << fixed(rep.validation_loss, 4) << " |\n"
    << "| wall time (whole command) | " << fixed(rep.seconds / 60.0, 1) << " min |\n"
    << "| CPU time (all threads) | " << fixed(rep.cpu_seconds / 60.0, 1) << " min |\n"
    << "| throughput | " << fixed(rep.tokens_per_second, 0) << " tokens/s |\n\n";
  if (!rep.validation_curve.empty()) {
    o << "Validation loss during training (float32 weights):\n\n"
      << "| step | loss |\n| --- | --- |\n";
    for (const auto& [step, loss] : rep.validation_curve)
      o << "| " << step << " | " << fixed(loss, 4) << " |\n";
    o << "\n";
  }
  o << "## Sample\n\n"
    << "Greedy continuation of `" << rep.prompt << "` (64 tokens):\n\n> " << rep.greedy_sample
    << "\n";
  if (!rep.sampled.empty()) {
    o << "\nSampled continuations of `" << rep.prompt
      << "` (temperature 0.8, top-k 40, 64 tokens, seeds 1, 2, 3):\n";
    for (const auto& t : rep.sampled) o << "\n> " << t << "\n";
  }
  o << "\nWall time depends on what else the machine runs; the CPU time is what the run needs "
       "from "
    << r.threads << " otherwise idle cores.\n";
  return o.str();
}

}  // namespace

std::string pocket_config_json(const PocketShape& s) {
  nlohmann::ordered_json j;
  j["architectures"] = {"Gemma3ForCausalLM"};
  j["model_type"] = "gemma3_text";
  j["vocab_size"] = s.vocab_size;
  j["hidden_size"] = s.hidden_size;
  j["intermediate_size"] = s.intermediate_size;
  j["num_hidden_layers"] = s.num_layers;
  j["num_attention_heads"] = s.num_heads;
  j["num_key_value_heads"] = s.num_kv_heads;
  j["head_dim"] = s.head_dim;
  j["hidden_activation"] = "gelu_pytorch_tanh";
  j["max_position_embeddings"] = s.context;
  j["rms_norm_eps"] = s.rms_norm_eps;
  j["rope_theta"] = s.rope_theta;
  j["rope_local_base_freq"] = s.rope_local_base_freq;
  j["rope_scaling"] = nullptr;
  j["query_pre_attn_scalar"] = s.head_dim;
  j["sliding_window"] = s.sliding_window;
  j["sliding_window_pattern"] = s.sliding_window_pattern;
  auto types = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < s.num_layers; ++i)
    types.push_back(s.is_sliding(i) ? "sliding_attention" : "full_attention");
  j["layer_types"] = types;
  j["attention_bias"] = false;
  j["attention_dropout"] = 0.0;
  j["attn_logit_softcapping"] = nullptr;
  j["final_logit_softcapping"] = nullptr;
  j["initializer_range"] = 0.02;
  j["bos_token_id"] = kBosId;
  j["eos_token_id"] = kEosId;
  j["pad_token_id"] = kPadId;
  j["tie_word_embeddings"] = true;
  j["torch_dtype"] = "bfloat16";
  j["use_cache"] = true;
  return j.dump(2) + "\n";
}

std::vector<std::string> pocket_tensor_names(const PocketShape& s) {
  std::vector<std::string> names{"model.embed_tokens.weight"};
  for (int64_t i = 0; i < s.num_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    for (const char* n :
         {"input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
          "self_attn.q_norm", "self_attn.k_norm", "self_attn.o_proj", "post_attention_layernorm",
          "pre_feedforward_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj",
          "post_feedforward_layernorm"})
      names.push_back(p + n + ".weight");
  }
  names.push_back("model.norm.weight");
  return names;
}

void write_pocket_folder(const std::filesystem::path& dir, const PocketShape& shape,
                         const PocketRecipe& recipe, const PocketReport& report,
                         const std::vector<NamedTensor>& tensors,
                         const std::filesystem::path& tokenizer_model) {
  std::filesystem::create_directories(dir);
  std::vector<std::vector<uint16_t>> bf16(tensors.size());
  std::vector<TensorData> out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    for (float f : tensors[i].data) bf16[i].push_back(float_to_bf16(f));
    out.push_back({tensors[i].name, DType::BF16, tensors[i].shape,
                   std::as_bytes(std::span<const uint16_t>(bf16[i]))});
  }
  write_safetensors(dir / "model.safetensors", out, {{"format", "pt"}});
  write_text(dir / "config.json", pocket_config_json(shape));

  nlohmann::ordered_json gen;
  gen["bos_token_id"] = kBosId;
  gen["eos_token_id"] = kEosId;
  gen["pad_token_id"] = kPadId;
  write_text(dir / "generation_config.json", gen.dump(2) + "\n");

  nlohmann::ordered_json tok;
  tok["tokenizer_class"] = "GemmaTokenizer";
  tok["add_bos_token"] = true;
  tok["add_eos_token"] = false;
  tok["bos_token"] = "<bos>";
  tok["eos_token"] = "<eos>";
  tok["pad_token"] = "<pad>";
  tok["unk_token"] = "<unk>";
  tok["model_max_length"] = shape.context;
  tok["clean_up_tokenization_spaces"] = false;
  tok["sp_model_kwargs"] = nlohmann::ordered_json::object();
  write_text(dir / "tokenizer_config.json", tok.dump(2) + "\n");

  nlohmann::ordered_json special;
  special["bos_token"] = "<bos>";
  special["eos_token"] = "<eos>";
  special["pad_token"] = "<pad>";
  special["unk_token"] = "<unk>";
  write_text(dir / "special_tokens_map.json", special.dump(2) + "\n");

  if (std::filesystem::absolute(tokenizer_model) !=
      std::filesystem::absolute(dir / "tokenizer.model"))
    std::filesystem::copy_file(tokenizer_model, dir / "tokenizer.model",
                               std::filesystem::copy_options::overwrite_existing);
  write_text(dir / "README.md", readme(shape, recipe, report));
}

}  // namespace th::model
