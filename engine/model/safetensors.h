// safetensors files, memory-mapped and validated. Contract: open() either returns a file whose
// every tensor has a known dtype, a well-formed shape and a byte range inside the file that
// overlaps no other tensor, or throws th::InputError naming the file and the tensor. Views stay
// valid while the SafetensorsFile (shared_ptr) lives. No torch types here: analysis/ reads the
// same views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace th::model {

enum class DType : uint8_t { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

// Thread-safe; realtime-safe.
std::string_view dtype_name(DType d);
// Thread-safe; realtime-safe.
std::size_t dtype_size(DType d);
// "F32" → DType::F32; nullopt for names safetensors does not define or we do not read.
std::optional<DType> parse_dtype(std::string_view name);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // into the mapped file
  std::string file;                  // the file it came from, for error messages

  int64_t numel() const;
  std::string shape_str() const;  // "[640, 2048]"
};

class SafetensorsFile {
 public:
  // Maps and validates. Throws InputError. Thread-safe (no shared state).
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::vector<TensorView>& tensors() const { return tensors_; }  // in file offset order
  const TensorView* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }
  std::size_t file_size() const { return size_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Every tensor of a model folder: model.safetensors, or the shards listed in
// model.safetensors.index.json. Immutable after open; thread-safe to read.
class WeightStore {
 public:
  static WeightStore open_dir(const std::filesystem::path& dir);  // throws InputError
  const TensorView* find(std::string_view name) const;
  // Throws InputError "DIR: missing tensor NAME" when absent.
  const TensorView& get(std::string_view name) const;
  const std::vector<const TensorView*>& all() const { return order_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::vector<const TensorView*> order_;
  std::map<std::string, const TensorView*, std::less<>> by_name_;
  std::uint64_t file_bytes_ = 0;
};

// Widening copy to float32 (F32, F16, BF16, F64, integer types). Thread-safe; not realtime-safe
// for the vector form (allocates).
void to_float(const TensorView& t, std::span<float> out);
std::vector<float> to_float(const TensorView& t);

float bf16_to_float(uint16_t bits);
float f16_to_float(uint16_t bits);
uint16_t float_to_bf16(float f);  // round to nearest even

// One tensor to write. bytes must hold numel·dtype_size bytes in little-endian order.
struct TensorData {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
};

// Writes `bytes` at byte `offset` within one tensor's data.
using TensorWriter = std::function<void(uint64_t offset, std::span<const std::byte> bytes)>;

// A tensor too large to hold in memory at once: `fill` is called once while the file is written
// and writes the tensor's bytes, in any order and any pieces, through the writer it is given
// (bytes it never writes read as zero). The writer throws th::Error for a piece outside the
// tensor.
struct TensorFill {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::function<void(const TensorWriter&)> fill;
};

// Writes a safetensors file atomically (temp file + rename), so a failed write never leaves a
// half file under the final name: `tensors`, then `filled` (in order). Throws th::Error on I/O
// failure. Thread-safe; not realtime-safe (file I/O).
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {},
                       const std::vector<TensorFill>& filled = {});

}  // namespace th::model
