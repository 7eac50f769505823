// The whole LSTM layer-direction in one pass per step on AVX-512 tiles (small_gemm.h): the
// input projection joins the step's product, and the backward sums every weight gradient
// step by step while the step's rows are in L1 (rnnkit/nn/fast/lstm_fused.py).
//
// Forward, per step t (B_t rows; slots p, q as in lstm_loop.cpp):
//   a' = b' + x_t W_ih'^T + h_p W_hh'^T     (primes: cell-gate rows doubled)
//   then the cell (lstm_cell.h): acts = (i, f, g, o), c_q, tanh(c_q), h_q; acts and tanh(c)
//   kept for every step, or (inference: acts and tcs of one step) overwritten step by step
// Backward, per step in the other order, from the cell's da' (B_t, 4H) held in a scratch:
//   dh = da' W_hh', dW_hh' += da'^T h_p, dW_ih' += da'^T x_t, db' += sum_rows da',
//   dx_t = da' W_ih' (rows past B_t: zeros; skipped when x needs no gradient)
// Needs H and H_in multiples of 16 (the tiles' width); the caller checks, see fused_max_hidden.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstring>
#include <vector>

#include "lstm_cell.h"
#include "small_gemm.h"

int64_t fused_max_hidden() { return RNNKIT_SMALL_GEMM ? 256 : 0; }

#if RNNKIT_SMALL_GEMM
namespace {

// Rows per thread at least: a step's rows (forward; backward, cell and products) and its
// weight-gradient rows (backward) are split over torch's threads, one region each per step.
constexpr int64_t kRowGrain = 8;

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
  const bool keep = acts.size(0) == length;  // else one step's scratch: inference
  for (int64_t k = 0; k < length; ++k) {
    const int64_t t = reverse ? length - 1 - k : k;
    const int64_t p = reverse ? t + 1 : t, q = reverse ? t : t + 1;
    const int64_t slot = keep ? t : 0;
    const float *x_t = xp + t * batch * in, *h_p = hp + p * batch * hid;
    const float* c_p = cp + p * batch * hid;
    float *a_t = ap0 + slot * batch * width, *c_q = cp + q * batch * hid;
    float *h_q = hp + q * batch * hid, *tc = tcp + slot * batch * hid;
    at::parallel_for(0, sizes[t], kRowGrain, [&](int64_t r0, int64_t r1) {  // rows: independent
      float* a = a_t + r0 * width;
      rnnkit::small_gemm(x_t + r0 * in, in, wip, width, bp, 0, a, width, r1 - r0, in, width);
      rnnkit::small_gemm(h_p + r0 * hid, hid, whp, width, a, width, a, width, r1 - r0, hid, width);
      const int64_t e = r0 * hid;
      rnnkit::cell_forward(a, c_p + e, c_q + e, h_q + e, tc + e, r1 - r0, hid);
    });
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
    const float *act = actp + t * batch * width, *x_t = xp + t * batch * in;
    const float *tc = tcp + t * batch * hid, *go = gop + t * batch * hid;
    const float *c_p = cp + p * batch * hid, *h_p = hp + p * batch * hid;
    float* dx_t = dxp ? dxp + t * batch * in : nullptr;
    at::parallel_for(0, b, kRowGrain, [&](int64_t r0, int64_t r1) {  // per row
      const int64_t n = r1 - r0, e = r0 * hid;
      float* d = da + r0 * width;
      rnnkit::cell_backward(act + r0 * width, tc + e, c_p + e, go + e, dhp + e, dcp + e, d, n,
                            hid);
      if (dx_t) rnnkit::small_gemm(d, width, wip, in, nullptr, 0, dx_t + r0 * in, in, n, width, in);
      rnnkit::small_gemm(d, width, whp, hid, nullptr, 0, dhp + e, hid, n, width, hid);
    });
    if (dx_t) std::memset(dx_t + b * in, 0, sizeof(float) * (batch - b) * in);
    at::parallel_for(0, width, kRowGrain, [&](int64_t m0, int64_t m1) {  // per weight row
      const int64_t n = m1 - m0;
      rnnkit::small_gemm_tn(da + m0, width, h_p, hid, dwhp + m0 * hid, hid, n, b, hid);
      rnnkit::small_gemm_tn(da + m0, width, x_t, in, dwip + m0 * in, in, n, b, in);
      for (int64_t r = 0; r < b; ++r) {
#pragma omp simd
        for (int64_t j = m0; j < m1; ++j) dbp[j] += da[r * width + j];
      }
    });
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
