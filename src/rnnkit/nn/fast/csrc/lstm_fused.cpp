// The whole LSTM layer-direction in one pass per step on AVX-512 tiles (small_gemm.h): the
// input projection joins the step's product, and the backward sums every weight gradient
// step by step while the step's rows are in L1 (rnnkit/nn/fast/lstm_fused.py).
//
// Forward, per step t (B_t rows; slots p, q as in lstm_loop.cpp):
//   a' = b' + x_t W_ih'^T + h_p W_hh'^T     (primes: cell-gate rows doubled)
//   then the cell (lstm_cell.h): acts = (i, f, g, o), c_q, tanh(c_q), h_q
// Backward, per step in the other order, from the cell's da' (B_t, 4H) held in a scratch:
//   dh = da' W_hh', dW_hh' += da'^T h_p, dW_ih' += da'^T x_t, db' += sum_rows da',
//   dx_t = da' W_ih' (rows past B_t: zeros; skipped when x needs no gradient)
// Needs H and H_in multiples of 16 (the tiles' width); the caller checks, see fused_max_hidden.
#include <ATen/ATen.h>

#include <cstring>
#include <vector>

#include "lstm_cell.h"
#include "small_gemm.h"

int64_t fused_max_hidden() { return RNNKIT_SMALL_GEMM ? 256 : 0; }

#if RNNKIT_SMALL_GEMM
namespace {

const float* cptr(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.is_contiguous() && t.scalar_type() == at::kFloat, "rnnkit fused lstm: ", name,
              " must be a contiguous float32 tensor");
  return t.data_ptr<float>();
}

float* ptr(at::Tensor& t, const char* name) { return const_cast<float*>(cptr(t, name)); }

}  // namespace

void fused_forward(const at::Tensor& x, const at::Tensor& w_ih, const at::Tensor& bias,
                   const at::Tensor& w_hh, at::Tensor& hs, at::Tensor& cs, at::Tensor& acts,
                   at::Tensor& tcs, const std::vector<int64_t>& sizes, bool reverse) {
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w_hh.size(1), in = w_ih.size(1), batch = hs.size(1), width = 4 * hid;
  const at::Tensor wit = w_ih.t().contiguous(), wht = w_hh.t().contiguous();  // (K, 4H)
  const float *xp = cptr(x, "x"), *bp = cptr(bias, "bias");
  const float *wip = cptr(wit, "w_ih"), *whp = cptr(wht, "w_hh");
  float *hp = ptr(hs, "hs"), *cp = ptr(cs, "cs"), *ap0 = ptr(acts, "acts");
  float* tcp = ptr(tcs, "tcs");
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? length - 1 - k : k;
    const int64_t b = sizes[t];
    const int64_t p = reverse ? t + 1 : t, q = reverse ? t : t + 1;
    float* ap = ap0 + t * batch * width;
    rnnkit::small_gemm(xp + t * batch * in, in, wip, width, bp, 0, ap, width, b, in, width);
    rnnkit::small_gemm(hp + p * batch * hid, hid, whp, width, ap, width, ap, width, b, hid,
                       width);
    rnnkit::cell_forward(ap, cp + p * batch * hid, cp + q * batch * hid, hp + q * batch * hid,
                         tcp + t * batch * hid, b, hid);
  }
}

void fused_backward(const at::Tensor& dout, const at::Tensor& x, const at::Tensor& w_ih,
                    const at::Tensor& w_hh, const at::Tensor& acts, const at::Tensor& tcs,
                    const at::Tensor& hs, const at::Tensor& cs, at::Tensor& dh, at::Tensor& dc,
                    at::Tensor& dx, at::Tensor& dw_ih, at::Tensor& dw_hh, at::Tensor& db,
                    const std::vector<int64_t>& sizes, bool reverse) {
  const int64_t length = static_cast<int64_t>(sizes.size());
  const int64_t hid = w_hh.size(1), in = w_ih.size(1), batch = dh.size(0), width = 4 * hid;
  const float *gop = cptr(dout, "dout"), *xp = cptr(x, "x"), *wip = cptr(w_ih, "w_ih");
  const float *whp = cptr(w_hh, "w_hh"), *actp = cptr(acts, "acts"), *tcp = cptr(tcs, "tcs");
  const float *hp = cptr(hs, "hs"), *cp = cptr(cs, "cs");
  float *dhp = ptr(dh, "dh"), *dcp = ptr(dc, "dc"), *dwip = ptr(dw_ih, "dw_ih");
  float *dwhp = ptr(dw_hh, "dw_hh"), *dbp = ptr(db, "db");
  float* dxp = dx.numel() ? ptr(dx, "dx") : nullptr;
  std::vector<float> scratch(batch * width);
  float* da = scratch.data();
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? k : length - 1 - k;  // the forward's order, reversed
    const int64_t b = sizes[t];
    const int64_t p = reverse ? t + 1 : t;
    const int64_t at_t = t * batch * hid;
    rnnkit::cell_backward(actp + t * batch * width, tcp + at_t, cp + p * batch * hid,
                          gop + at_t, dhp, dcp, da, b, hid);
    const float* x_t = xp + t * batch * in;
    rnnkit::small_gemm_tn(da, width, hp + p * batch * hid, hid, dwhp, hid, width, b, hid);
    rnnkit::small_gemm_tn(da, width, x_t, in, dwip, in, width, b, in);
    for (int64_t r = 0; r < b; ++r) {
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) dbp[j] += da[r * width + j];
    }
    if (dxp) {
      float* dx_t = dxp + t * batch * in;
      rnnkit::small_gemm(da, width, wip, in, nullptr, 0, dx_t, in, b, width, in);
      std::memset(dx_t + b * in, 0, sizeof(float) * (batch - b) * in);
    }
    rnnkit::small_gemm(da, width, whp, hid, nullptr, 0, dhp, hid, b, width, hid);
  }
}

#else  // no AVX-512 here: fused_max_hidden() is 0 and the caller never comes here

void fused_forward(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                   at::Tensor&, at::Tensor&, at::Tensor&, at::Tensor&,
                   const std::vector<int64_t>&, bool) {
  TORCH_CHECK(false, "rnnkit fused lstm: built without AVX-512");
}

void fused_backward(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                    const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                    at::Tensor&, at::Tensor&, at::Tensor&, at::Tensor&, at::Tensor&,
                    at::Tensor&, const std::vector<int64_t>&, bool) {
  TORCH_CHECK(false, "rnnkit fused lstm: built without AVX-512");
}

#endif
