// The module's one exported symbol: the table of torch_runtime.h.
#include "model/torch/entry_points.h"

extern "C" const th::model::TorchRuntime* th_torch_runtime() {
  namespace rt = th::model::torch_rt;
  static const th::model::TorchRuntime table{
      th::model::kTorchRuntimeAbi, rt::open_model,      rt::train_pocket,
      rt::pocket_validation_loss,  rt::pocket_continue, rt::pocket_continue_sampled,
      rt::matmul_gflops,
  };
  return &table;
}
