// `tensorhaus tokenize --model DIR --text-file FILE [--add-special]`: the token ids of each line
// of a UTF-8 text file, one output line per input line, ids separated by spaces. Scripts parse
// this output: keep its form.
#include <fmt/format.h>

#include <fstream>
#include <string>

#include "app/commands.h"
#include "core/error.h"
#include "model/tokenizer.h"

namespace th::app {

void register_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of each line of a text file");
  auto model = std::make_shared<std::string>(default_model_dir());
  auto text_file = std::make_shared<std::string>();
  auto add_special = std::make_shared<bool>(false);
  cmd->add_option("--model", *model,
                  "Model folder (tokenizer.json, tokenizer.model or tokenizer.bin)")
      ->capture_default_str();
  cmd->add_option("--text-file", *text_file, "UTF-8 text, one sequence per line")->required();
  cmd->add_flag("--add-special", *add_special,
                "Add what the tokenizer adds around a sequence (BOS, …)");
  cmd->callback([model, text_file, add_special] {
    auto tok = model::load_tokenizer(*model);
    if (!tok)
      throw th::bad_file(*model,
                         "no tokenizer.json, tokenizer.model or tokenizer.bin in this folder");
    std::ifstream in(*text_file, std::ios::binary);
    if (!in) throw th::bad_file(*text_file, "cannot open");
    std::string line, out;
    while (std::getline(in, line)) {
      out.clear();
      for (int64_t id : tok->encode(line, *add_special)) {
        if (!out.empty()) out += ' ';
        out += std::to_string(id);
      }
      out += '\n';
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  });
}

}  // namespace th::app
