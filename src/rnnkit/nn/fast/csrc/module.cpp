// The Python module of rnnkit's compiled loops (rnnkit/nn/fast/compiled.py): the LSTM's step
// loops (lstm_loop.cpp), the fused LSTM layer (lstm_fused.cpp), the MinGRU/MinLSTM sequence
// pass (min_scan.cpp) and their whole layer with its input projection (min_fused.cpp).
#include <torch/extension.h>

#include <vector>

void forward_loop(const at::Tensor& gi, const at::Tensor& w, at::Tensor& hs, at::Tensor& cs,
                  at::Tensor& acts, at::Tensor& tcs, const std::vector<int64_t>& sizes,
                  bool reverse);
void backward_loop(const at::Tensor& dout, const at::Tensor& w, const at::Tensor& acts,
                   const at::Tensor& tcs, const at::Tensor& hs, const at::Tensor& cs,
                   at::Tensor& da, at::Tensor& dh, at::Tensor& dc, at::Tensor& dw,
                   const std::vector<int64_t>& sizes, bool reverse);
int64_t fused_max_hidden();
void fused_forward(const at::Tensor& x, const at::Tensor& w_ih, const at::Tensor& bias,
                   const at::Tensor& w_hh, at::Tensor& hs, at::Tensor& cs, at::Tensor& acts,
                   at::Tensor& tcs, const std::vector<int64_t>& sizes, bool reverse);
void fused_backward(const at::Tensor& dout, const at::Tensor& x, const at::Tensor& w_ih,
                    const at::Tensor& w_hh, const at::Tensor& acts, const at::Tensor& tcs,
                    const at::Tensor& hs, const at::Tensor& cs, at::Tensor& dh, at::Tensor& dc,
                    at::Tensor& dx, at::Tensor& dw_ih, at::Tensor& dw_hh, at::Tensor& db,
                    const std::vector<int64_t>& sizes, bool reverse);
void min_forward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
                 at::Tensor& out, bool reverse, bool lstm);
void min_backward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
                  const at::Tensor& out, const at::Tensor& grad_out, at::Tensor& grad_xw,
                  at::Tensor& grad_h0, at::Tensor& grad_bias_rows, bool reverse, bool lstm,
                  bool transposed);
bool min_fused_available();
void min_fused_forward(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& bias,
                       const at::Tensor& h0, at::Tensor& out, bool reverse, bool lstm);
void min_fused_backward(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& w,
                        const at::Tensor& bias, const at::Tensor& h0, const at::Tensor& out,
                        const at::Tensor& grad_out, at::Tensor& dwt, at::Tensor& dx,
                        at::Tensor& dh0, at::Tensor& db_rows, bool reverse, bool lstm);

// Whether at::parallel_for splits work over torch's threads here (built with -fopenmp).
bool parallel() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("parallel", &parallel, "Whether the loops use torch's threads (built with OpenMP)");
  m.def("forward_loop", &forward_loop, "LSTM forward step loop (rnnkit.nn.fast.lstm)");
  m.def("backward_loop", &backward_loop, "LSTM backward step loop (rnnkit.nn.fast.lstm)");
  m.def("fused_max_hidden", &fused_max_hidden, "Largest H of the fused LSTM (0: none)");
  m.def("fused_forward", &fused_forward, "Fused LSTM layer forward (rnnkit.nn.fast.lstm_fused)");
  m.def("fused_backward", &fused_backward, "Fused LSTM layer backward");
  m.def("min_forward", &min_forward, "MinGRU/MinLSTM forward pass (rnnkit.nn.minscan)");
  m.def("min_backward", &min_backward, "MinGRU/MinLSTM backward pass (rnnkit.nn.minscan)");
  m.def("min_fused_available", &min_fused_available, "Whether min_fused_* can run (AVX-512)");
  m.def("min_fused_forward", &min_fused_forward, "MinGRU/MinLSTM layer forward, projection in");
  m.def("min_fused_backward", &min_fused_backward, "MinGRU/MinLSTM layer backward (minfused)");
}
