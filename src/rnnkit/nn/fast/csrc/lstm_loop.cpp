// The LSTM's step loops of rnnkit/nn/fast/lstm.py in C++: the same buffers, the same order of
// operations per element, one pass over a step's (B_t, 4H) gates instead of nine ATen calls.
//
// Forward, per step t (B_t rows; slots p = t, q = t + 1, or p = t + 1, q = t in reverse):
//   a = gi_t + h_p W'^T                    (at::addmm_out: W' has its cell-gate rows doubled)
//   i, f, o = sigmoid(a_i, a_f, a_o), g = 2 sigmoid(a'_g) - 1 = tanh(a_g)
//   c_q = f c_p + i g, tanh(c_q) = 2 sigmoid(2 c_q) - 1, h_q = o tanh(c_q)
// acts keeps (i, f, g, o) and tcs tanh(c), for the backward.
//
// Backward, per step t in the other order (dh, dc: the gradients carried to h_p, c_p):
//   d = dh + dout_t, dc_t = dc + d oc_t (oc = o (1 - tanh^2 c))
//   da_{i,f,g} *= dc_t, da_o *= d, dc = dc_t f, dh = da_t W'   (at::mm_out)
// da holds the gates' factors on entry (computed for all steps at once) and dL/da' on exit.
#include <ATen/ATen.h>

#include <cmath>
#include <vector>

namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

void forward_loop(const at::Tensor& gi, const at::Tensor& w, at::Tensor& hs,
                  at::Tensor& cs, at::Tensor& acts, at::Tensor& tcs,
                  const std::vector<int64_t>& sizes, bool reverse) {
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w.size(1);
  const auto w_t = w.t();
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? length - 1 - k : k;
    const int64_t b = sizes[t];
    const int64_t p = reverse ? t + 1 : t, q = reverse ? t : t + 1;
    auto a = acts[t].narrow(0, 0, b);
    at::addmm_out(a, gi[t].narrow(0, 0, b), hs[p].narrow(0, 0, b), w_t);
    float* ap = a.data_ptr<float>();
    const float* c_prev = cs[p].data_ptr<float>();
    float* c_next = cs[q].data_ptr<float>();
    float* h_next = hs[q].data_ptr<float>();
    float* tc = tcs[t].data_ptr<float>();
    for (int64_t r = 0; r < b; ++r) {
      float* row = ap + r * 4 * hid;
#pragma omp simd
      for (int64_t j = 0; j < hid; ++j) {
        const float i = sigmoid(row[j]);
        const float f = sigmoid(row[hid + j]);
        const float g = 2.0f * sigmoid(row[2 * hid + j]) - 1.0f;
        const float o = sigmoid(row[3 * hid + j]);
        const float c = f * c_prev[r * hid + j] + i * g;
        const float th = 2.0f * sigmoid(2.0f * c) - 1.0f;
        row[j] = i;
        row[hid + j] = f;
        row[2 * hid + j] = g;
        row[3 * hid + j] = o;
        c_next[r * hid + j] = c;
        tc[r * hid + j] = th;
        h_next[r * hid + j] = o * th;
      }
    }
  }
}

void backward_loop(const at::Tensor& dout, const at::Tensor& w, const at::Tensor& acts,
                   at::Tensor& da, const at::Tensor& oc, at::Tensor& dh,
                   at::Tensor& dc, const std::vector<int64_t>& sizes, bool reverse) {
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w.size(1);
  float* dhp = dh.data_ptr<float>();
  float* dcp = dc.data_ptr<float>();
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? k : length - 1 - k;  // the forward's order, reversed
    const int64_t b = sizes[t];
    const float* go = dout[t].data_ptr<float>();
    const float* f = acts[t].data_ptr<float>();
    const float* ocp = oc[t].data_ptr<float>();
    float* dap = da[t].data_ptr<float>();
    for (int64_t r = 0; r < b; ++r) {
      float* row = dap + r * 4 * hid;
      const float* frow = f + r * 4 * hid + hid;
#pragma omp simd
      for (int64_t j = 0; j < hid; ++j) {
        const int64_t e = r * hid + j;
        const float d = dhp[e] + go[e];
        const float dct = dcp[e] + d * ocp[e];
        row[j] *= dct;
        row[hid + j] *= dct;
        row[2 * hid + j] *= dct;
        row[3 * hid + j] *= d;
        dcp[e] = dct * frow[j];
      }
    }
    auto dh_rows = dh.narrow(0, 0, b);
    at::mm_out(dh_rows, da[t].narrow(0, 0, b), w);
  }
}
