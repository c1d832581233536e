#include "model/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace th::model {
namespace {

using json = nlohmann::json;

// A header larger than this is not a model we can trust; safetensors itself caps it at 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

std::string known_dtypes() {
  std::string s;
  for (const auto& d : kDTypes) s += (s.empty() ? "" : "|") + std::string(d.name);
  return s;
}

}  // namespace

std::string_view dtype_name(DType d) {
  return kDTypes[static_cast<int>(d)].name;
}
std::size_t dtype_size(DType d) {
  return kDTypes[static_cast<int>(d)].size;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.dtype;
  return std::nullopt;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string TensorView::shape_str() const {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr && map_ != MAP_FAILED) munmap(map_, size_);
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw bad_file(file, fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw bad_file(file, "not a regular file");
  }
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->size_ = static_cast<std::size_t>(st.st_size);
  if (f->size_ < 8) {
    ::close(fd);
    throw bad_field(file, "header length", "8 bytes", fmt::format("a file of {} bytes", f->size_));
  }
  f->map_ = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (f->map_ == MAP_FAILED)
    throw bad_file(file, fmt::format("mmap failed: {}", std::strerror(errno)));
  const auto* base = static_cast<const std::byte*>(f->map_);

  uint64_t header_len = 0;
  std::memcpy(&header_len, base, 8);  // little-endian on every machine we build for
  if (header_len > kMaxHeaderBytes || header_len > f->size_ - 8)
    throw bad_field(file, "header length",
                    fmt::format("at most {} bytes (file size − 8)",
                                std::min<uint64_t>(kMaxHeaderBytes, f->size_ - 8)),
                    fmt::format("{} bytes (truncated or not a safetensors file)", header_len));

  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(base + 8),
                         reinterpret_cast<const char*>(base + 8 + header_len));
  } catch (const json::exception& e) {
    throw bad_field(file, "header", "a JSON object", fmt::format("malformed JSON ({})", e.what()));
  }
  if (!header.is_object()) throw bad_field(file, "header", "a JSON object", header.type_name());

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = f->size_ - data_start;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        throw bad_field(file, "__metadata__", "an object of strings", entry.type_name());
      for (const auto& [k, v] : entry.items())
        f->metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    const std::string where = "tensor " + name;
    if (!entry.is_object()) throw bad_field(file, where, "an object", entry.type_name());
    if (!entry.contains("dtype") || !entry["dtype"].is_string())
      throw bad_field(file, where + " dtype", "a string",
                      entry.contains("dtype") ? entry["dtype"].dump() : "nothing");
    auto dtype = parse_dtype(entry["dtype"].get<std::string>());
    if (!dtype)
      throw bad_field(file, where + " dtype", known_dtypes(), entry["dtype"].get<std::string>());
    const auto& shape = entry.value("shape", json());
    if (!shape.is_array())
      throw bad_field(file, where + " shape", "an array of integers", shape.dump());
    TensorView t;
    t.name = name;
    t.dtype = *dtype;
    t.file = file;
    uint64_t numel = 1;
    for (const auto& s : shape) {
      if (!s.is_number_integer() || s.get<int64_t>() < 0)
        throw bad_field(file, where + " shape", "non-negative integers", shape.dump());
      t.shape.push_back(s.get<int64_t>());
      if (t.shape.back() != 0 &&
          numel > (uint64_t{1} << 50) / static_cast<uint64_t>(t.shape.back()))
        throw bad_field(file, where + " shape", "a size that fits in memory", shape.dump());
      numel *= static_cast<uint64_t>(t.shape.back());
    }
    const auto& off = entry.value("data_offsets", json());
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      throw bad_field(file, where + " data_offsets", "[begin, end] of non-negative integers",
                      off.dump());
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end) throw bad_field(file, where + " data_offsets", "begin <= end", off.dump());
    if (end > data_size)
      throw bad_field(file, where + " data_offsets",
                      fmt::format("end <= {} (data section size)", data_size),
                      fmt::format("end {} (file truncated?)", end));
    const uint64_t expected = numel * dtype_size(*dtype);
    if (end - begin != expected)
      throw bad_field(file, where + " byte size",
                      fmt::format("{} bytes ({} {} × {})", expected, t.shape_str(),
                                  dtype_name(*dtype), dtype_size(*dtype)),
                      fmt::format("{} bytes", end - begin));
    t.bytes = {base + data_start + begin, static_cast<std::size_t>(end - begin)};
    f->tensors_.push_back(std::move(t));
  }
  std::sort(f->tensors_.begin(), f->tensors_.end(), [](const TensorView& a, const TensorView& b) {
    return a.bytes.data() < b.bytes.data();
  });
  for (std::size_t i = 1; i < f->tensors_.size(); ++i) {
    const auto& a = f->tensors_[i - 1];
    const auto& b = f->tensors_[i];
    if (a.bytes.data() + a.bytes.size() > b.bytes.data() && !b.bytes.empty())
      throw bad_field(file, "data_offsets", "non-overlapping byte ranges",
                      fmt::format("tensor {} overlaps tensor {}", a.name, b.name));
  }
  return f;
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

WeightStore WeightStore::open_dir(const std::filesystem::path& dir) {
  WeightStore ws;
  ws.dir_ = dir;
  const auto single = dir / "model.safetensors";
  const auto index = dir / "model.safetensors.index.json";
  std::vector<std::filesystem::path> shards;
  if (std::filesystem::exists(index)) {
    std::ifstream in(index);
    json j;
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      throw bad_field(index.string(), "document", "JSON",
                      fmt::format("malformed JSON ({})", e.what()));
    }
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw bad_field(index.string(), "weight_map", "an object of tensor → shard file", "nothing");
    std::set<std::string> seen;
    for (const auto& [name, shard] : j["weight_map"].items()) {
      if (!shard.is_string())
        throw bad_field(index.string(), "weight_map." + name, "a file name", shard.dump());
      if (seen.insert(shard.get<std::string>()).second)
        shards.push_back(dir / shard.get<std::string>());
    }
  } else if (std::filesystem::exists(single)) {
    shards.push_back(single);
  } else {
    throw bad_file(dir.string(),
                   "no model.safetensors or model.safetensors.index.json in this folder");
  }
  for (const auto& s : shards) {
    if (!std::filesystem::exists(s))
      throw bad_file(s.string(), "shard listed in model.safetensors.index.json is missing");
    auto f = SafetensorsFile::open(s);
    ws.file_bytes_ += f->file_size();
    for (const auto& t : f->tensors()) {
      if (ws.by_name_.count(t.name))
        throw bad_file(s.string(), fmt::format("tensor {} also appears in {}", t.name,
                                               ws.by_name_[t.name]->file));
      ws.by_name_[t.name] = &t;
      ws.order_.push_back(&t);
    }
    ws.files_.push_back(std::move(f));
  }
  return ws;
}

const TensorView* WeightStore::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TensorView& WeightStore::get(std::string_view name) const {
  if (const auto* t = find(name)) return *t;
  throw bad_file(dir_.string(), fmt::format("missing tensor {}", name));
}

float bf16_to_float(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

uint16_t float_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

namespace {
template <typename T>
void widen(const std::byte* src, std::span<float> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}
}  // namespace

void to_float(const TensorView& t, std::span<float> out) {
  const auto n = static_cast<std::size_t>(t.numel());
  if (out.size() != n)
    throw Error(
        fmt::format("to_float({}): output has {} elements, tensor has {}", t.name, out.size(), n),
        1);
  const std::byte* p = t.bytes.data();
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out.data(), p, n * 4);
      break;
    case DType::F64:
      widen<double>(p, out);
      break;
    case DType::I64:
      widen<int64_t>(p, out);
      break;
    case DType::I32:
      widen<int32_t>(p, out);
      break;
    case DType::I16:
      widen<int16_t>(p, out);
      break;
    case DType::I8:
      widen<int8_t>(p, out);
      break;
    case DType::U8:
    case DType::BOOL:
      widen<uint8_t>(p, out);
      break;
    case DType::BF16:
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, p + 2 * i, 2);
        out[i] = t.dtype == DType::BF16 ? bf16_to_float(b) : f16_to_float(b);
      }
      break;
  }
}

std::vector<float> to_float(const TensorView& t) {
  std::vector<float> v(static_cast<std::size_t>(t.numel()));
  to_float(t, v);
  return v;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       const std::vector<TensorFill>& filled) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  const auto describe = [&](const std::string& name, DType dtype,
                            const std::vector<int64_t>& shape) {
    uint64_t numel = 1;
    for (auto s : shape) numel *= static_cast<uint64_t>(s);
    const uint64_t bytes = numel * dtype_size(dtype);
    header[name] = {
        {"dtype", dtype_name(dtype)}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    return bytes;
  };
  for (const auto& t : tensors) {
    const uint64_t bytes = describe(t.name, t.dtype, t.shape);
    if (bytes != t.bytes.size())
      throw Error(fmt::format("write_safetensors({}): tensor {} has {} bytes, shape needs {}",
                              path.string(), t.name, t.bytes.size(), bytes),
                  1);
  }
  std::vector<uint64_t> fill_bytes;
  for (const auto& t : filled) fill_bytes.push_back(describe(t.name, t.dtype, t.shape));
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
  const auto tmp = path.string() + ".tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot write", tmp), 1);
    const uint64_t n = h.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& t : tensors)
      out.write(reinterpret_cast<const char*>(t.bytes.data()),
                static_cast<std::streamsize>(t.bytes.size()));
    std::streamoff start = out.tellp();
    for (std::size_t i = 0; i < filled.size(); ++i) {
      const uint64_t size = fill_bytes[i];
      filled[i].fill([&](uint64_t at, std::span<const std::byte> piece) {
        if (at + piece.size() > size)
          throw Error(fmt::format("write_safetensors({}): tensor {} is {} bytes, a piece was "
                                  "written at [{}, {})",
                                  path.string(), filled[i].name, size, at, at + piece.size()),
                      1);
        out.seekp(start + static_cast<std::streamoff>(at));
        out.write(reinterpret_cast<const char*>(piece.data()),
                  static_cast<std::streamsize>(piece.size()));
      });
      start += static_cast<std::streamoff>(size);
    }
    if (!out.flush()) throw Error(fmt::format("{}: write failed", tmp), 1);
    out.close();
    // Pieces never written at a filled tensor's end leave the file short: it ends where the
    // header says (the gap reads as zeros).
    std::filesystem::resize_file(tmp, 8 + h.size() + offset);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace th::model
