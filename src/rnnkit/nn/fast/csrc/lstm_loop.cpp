// The LSTM's step loops of rnnkit/nn/fast/lstm.py in C++: the same buffers and equations, one
// pass over a step's (B_t, 4H) gates instead of nine ATen calls, the step's product on ATen.
// (Where H is a multiple of 16, up to 256, the fused layer of lstm_fused.cpp runs instead.)
//
// Forward, per step t (B_t rows; slots p = t, q = t + 1, or p = t + 1, q = t in reverse):
//   a = gi_t + h_p W'^T                    (W' has its cell-gate rows doubled)
//   i, f, o = sigmoid(a_i, a_f, a_o), g = 2 sigmoid(a'_g) - 1 = tanh(a_g)
//   c_q = f c_p + i g, tanh(c_q) = 2 sigmoid(2 c_q) - 1, h_q = o tanh(c_q)
// acts keeps (i, f, g, o) and tcs tanh(c), for the backward.
//
// Backward, per step t in the other order (dh, dc: the gradients carried to h_p, c_p):
//   d = dh + dout_t, dc_t = dc + d o (1 - tanh^2 c_q)
//   da_i = dc_t g i (1 - i), da_f = dc_t c_p f (1 - f), da'_g = dc_t i (1 - g^2) / 2,
//   da_o = d tanh(c_q) o (1 - o), dc = dc_t f, dh = da'_t W'
// and after the loop dW' = dA'^T H_prev in one product. da (L, N, 4H) is written whole:
// dL/da' for the running rows, zeros for a packed batch's padding rows (the caller's
// products over all L*N rows read them).
#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "lstm_cell.h"

namespace {

// out (b, m) = d (b, m) [or 0] + a (b, k) @ btt^T, on ATen's product.
void step_product(const float* a, const at::Tensor& btt, const float* d, float* out, int64_t b,
                  int64_t k, int64_t m) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  auto a_t = at::from_blob(const_cast<float*>(a), {b, k}, opts);
  auto out_t = at::from_blob(out, {b, m}, opts);
  if (d) {
    at::addmm_out(out_t, at::from_blob(const_cast<float*>(d), {b, m}, opts), a_t, btt.t());
  } else {
    at::mm_out(out_t, a_t, btt.t());
  }
}

void check_contiguous(const at::Tensor& x, const char* name) {
  TORCH_CHECK(x.is_contiguous() && x.scalar_type() == at::kFloat, "rnnkit lstm loop: ", name,
              " must be a contiguous float32 tensor");
}

}  // namespace

void forward_loop(const at::Tensor& gi_in, const at::Tensor& w, at::Tensor& hs,
                  at::Tensor& cs, at::Tensor& acts, at::Tensor& tcs,
                  const std::vector<int64_t>& sizes, bool reverse) {
  const at::Tensor gi = gi_in.contiguous();
  const at::Tensor* buffers[] = {&hs, &cs, &acts, &tcs};
  for (const at::Tensor* x : buffers) check_contiguous(*x, "a state buffer");
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w.size(1), batch = hs.size(1), width = 4 * hid;
  const float* gip = gi.data_ptr<float>();
  float* hp = hs.data_ptr<float>();
  float* cp = cs.data_ptr<float>();
  float* actp = acts.data_ptr<float>();
  float* tcp = tcs.data_ptr<float>();
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? length - 1 - k : k;
    const int64_t b = sizes[t];
    const int64_t p = reverse ? t + 1 : t, q = reverse ? t : t + 1;
    float* ap = actp + t * batch * width;
    step_product(hp + p * batch * hid, w, gip + t * batch * width, ap, b, hid, width);
    const float* c_prev = cp + p * batch * hid;
    float* c_next = cp + q * batch * hid;
    float* h_next = hp + q * batch * hid;
    float* tc = tcp + t * batch * hid;
    rnnkit::cell_forward(ap, c_prev, c_next, h_next, tc, b, hid);
  }
}

void backward_loop(const at::Tensor& dout_in, const at::Tensor& w_in, const at::Tensor& acts,
                   const at::Tensor& tcs, const at::Tensor& hs, const at::Tensor& cs,
                   at::Tensor& da, at::Tensor& dh, at::Tensor& dc, at::Tensor& dw,
                   const std::vector<int64_t>& sizes, bool reverse) {
  const at::Tensor dout = dout_in.contiguous(), w = w_in.contiguous();
  const at::Tensor* buffers[] = {&acts, &tcs, &hs, &cs, &da, &dh, &dc, &dw};
  for (const at::Tensor* x : buffers) check_contiguous(*x, "a buffer");
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w.size(1), batch = dh.size(0), width = 4 * hid;
  const at::Tensor wtt = w.t();  // ATen's view of W' for dh = da W'
  float* dhp = dh.data_ptr<float>();
  float* dcp = dc.data_ptr<float>();
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? k : length - 1 - k;  // the forward's order, reversed
    const int64_t b = sizes[t];
    const int64_t p = reverse ? t + 1 : t;
    const float* go = dout.data_ptr<float>() + t * batch * hid;
    const float* act = acts.data_ptr<float>() + t * batch * width;
    const float* tc = tcs.data_ptr<float>() + t * batch * hid;
    const float* c_prev = cs.data_ptr<float>() + p * batch * hid;
    float* dap = da.data_ptr<float>() + t * batch * width;
    rnnkit::cell_backward(act, tc, c_prev, go, dhp, dcp, dap, b, hid);
    std::memset(dap + b * width, 0, sizeof(float) * (batch - b) * width);
    step_product(dap, wtt, nullptr, dhp, b, width, hid);
  }
  // dW' = dA'^T H_prev, one product over all steps
  const auto h_prev = hs.narrow(0, reverse ? 1 : 0, length).reshape({-1, hid});
  at::mm_out(dw, da.reshape({-1, width}).t(), h_prev);
}
