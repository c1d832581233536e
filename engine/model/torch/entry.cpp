// The module's one exported symbol: the table of torch_runtime.h.
#include <malloc.h>

#include "model/torch/entry_points.h"

namespace {

// A forward pass allocates and frees the same large temporaries layer after layer (attention
// scores and probabilities, MLP activations). glibc served blocks above its mmap threshold with
// fresh mappings and gave the heap's top back to the kernel above its trim threshold, so every
// pass faulted its memory in again: 41 % of a pocket T = 512 pass was the kernel zeroing pages
// (a Python process keeps its heap pinned by its own objects and never saw it). Blocks up to
// 256 MB now come from the heap and stay there for the next pass; what one pass needs at once
// (the peak) is unchanged, larger blocks (all-position logits) still come and go as mappings.
bool keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}

}  // namespace

extern "C" const th::model::TorchRuntime* th_torch_runtime() {
  namespace rt = th::model::torch_rt;
  static const bool memory_kept = keep_freed_memory();
  (void)memory_kept;
  static const th::model::TorchRuntime table{
      th::model::kTorchRuntimeAbi, rt::open_model,      rt::train_pocket,
      rt::pocket_validation_loss,  rt::pocket_continue, rt::pocket_continue_sampled,
      rt::matmul_gflops,
  };
  return &table;
}
