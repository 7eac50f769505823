// MinGRU/MinLSTM's whole layer-direction, input projection included, in one C++ pass per row
// (rnnkit/nn/minfused.py). The pass of min_scan.cpp reads gates xw = x W^T (N, L, G*H) that a
// large product wrote to memory first, and its backward writes dL/dxw (N, L, G*H) that another
// large product reads back for dW: at N = 32, L = 2048, H = 256 that is 128 MB four times over.
// Here the gates of a chunk of CHUNK steps of one row are computed on AVX-512 register tiles
// (small_gemm.h) into a buffer that stays in the core's L2, and scanned from there:
//   forward, per row n, per chunk c (in the scan's order):
//     xw_c = x_c W^T (CHUNK, G*H); h_t = step(xw_t + b, h_{t-1}) for t in c (min_cell.h)
//   backward, per row, chunks in the other order (xw_c recomputed, not stored):
//     dxw_c from step_backward; dW^T += x_c^T dxw_c (a per-thread sum), db_n += sum_t dxw_t,
//     dx_c = dxw_c W (only when x needs a gradient)
// So memory sees x, the states and their gradient only. Needs G*H a multiple of 16 (H a
// multiple of 16: the caller checks) and, for dx, H_in a multiple of 16.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "min_cell.h"
#include "small_gemm.h"

#if RNNKIT_SMALL_GEMM
namespace {

using namespace rnnkit_min;

constexpr int64_t CHUNK = 128;  // steps per chunk: x_c, xw_c and dxw_c about 0.5 MB at H = 256

// The operands of both passes. x (N, L, H_in): any strides over (N, L), 1 over H_in; wt = W^T
// (H_in, G*H) contiguous; the bias (G*H) or empty; h0 (N, H); out (N, L, H) any strides over
// (N, L).
struct Fused {
  int64_t batch, length, in, width, hid;
  std::vector<float> zeros;  // before bp, which may point into it (members start in order)
  const float *xp, *wtp, *h0p, *bp;
  int64_t x_n, x_t, o_n, o_t;
  Fused(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& bias, const at::Tensor& h0,
        const at::Tensor& out)
      : batch(x.size(0)), length(x.size(1)), in(wt.size(0)), width(wt.size(1)),
        hid(h0.size(1)), zeros(), xp(x.data_ptr<float>()), wtp(wt.data_ptr<float>()),
        h0p(h0.data_ptr<float>()),
        bp(bias_or_zeros(bias.numel() ? bias.data_ptr<float>() : nullptr, width, zeros)),
        x_n(x.stride(0)), x_t(x.stride(1)), o_n(out.stride(0)), o_t(out.stride(1)) {}
  Fused(const Fused&) = delete;  // bp may point into zeros

  // xw_c of the ``steps`` steps from t0 of row n into buf; returns x_c (steps, in) with rows
  // ``in`` apart: x's own, or (a time-major x, rows N * H_in apart: the same cache sets over
  // and over while the tiles re-read them) copied into xbuf (CHUNK * in floats).
  const float* project(int64_t n, int64_t t0, int64_t steps, float* buf, float* xbuf) const {
    const float* x_c = xp + n * x_n + t0 * x_t;
    if (x_t != in) {
      for (int64_t k = 0; k < steps; ++k) {
        std::copy(x_c + k * x_t, x_c + (k * x_t + in), xbuf + k * in);
      }
      x_c = xbuf;
    }
    rnnkit::small_gemm(x_c, in, wtp, width, nullptr, 0, buf, width, steps, in, width);
    return x_c;
  }
  // (t0, steps) of the chunk c0 steps from the start (from the end with ``from_end``).
  std::pair<int64_t, int64_t> chunk(int64_t c0, bool from_end) const {
    const int64_t steps = std::min(CHUNK, length - c0);
    return {from_end ? length - c0 - steps : c0, steps};
  }
};

template <bool LSTM>
void forward(const Fused& f, float* op, bool reverse) {
  at::parallel_for(0, f.batch, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> xw(CHUNK * f.width), xbuf(CHUNK * f.in), z(f.hid), cand(f.hid);
    for (int64_t n = lo; n < hi; ++n) {
      const float* prev = f.h0p + n * f.hid;
      for (int64_t c0 = 0; c0 < f.length; c0 += CHUNK) {
        const auto [t0, steps] = f.chunk(c0, reverse);
        f.project(n, t0, steps, xw.data(), xbuf.data());
        for (int64_t k = 0; k < steps; ++k) {
          const int64_t t = reverse ? t0 + steps - 1 - k : t0 + k;
          gates_of<LSTM>(xw.data() + (t - t0) * f.width, f.bp, f.hid, z.data(), cand.data());
          float* h = op + n * f.o_n + t * f.o_t;
          state_of(prev, z.data(), cand.data(), h, f.hid);
          prev = h;
        }
      }
    }
  });
}

// What the backward writes: dW^T per thread (threads, H_in, G*H), zeroed by the caller and
// summed over threads by it; dx (N, L, H_in) contiguous or null; dh0 (N, H); db rows (N, G*H)
// or null.
struct Grads {
  float *dwt, *dx, *dh0, *db;
  int64_t slots;  // dW^T sums in dwt
};

template <bool LSTM>
void backward(const Fused& f, const float* op, const at::Tensor& grad_out, const float* wp,
              const Grads& d, bool reverse) {
  const float* gp = grad_out.data_ptr<float>();
  const int64_t g_n = grad_out.stride(0), g_t = grad_out.stride(1);
  const int64_t first = reverse ? f.length - 1 : 0, width = f.width, hid = f.hid;
  at::parallel_for(0, f.batch, 1, [&](int64_t lo, int64_t hi) {
    const int64_t slot = at::get_thread_num();  // < the caller's torch.get_num_threads()
    TORCH_CHECK(slot < d.slots, "rnnkit min fused: thread ", slot, " of ", d.slots, " dW sums");
    float* dwt = d.dwt + slot * f.in * width;
    std::vector<float> xw(CHUNK * width), dxw(CHUNK * width), xbuf(CHUNK * f.in);
    std::vector<float> z(hid), cand(hid), carry(hid);
    for (int64_t n = lo; n < hi; ++n) {
      std::fill(carry.begin(), carry.end(), 0.0f);
      float* db = d.db ? d.db + n * width : nullptr;
      if (db) std::fill(db, db + width, 0.0f);
      for (int64_t c0 = 0; c0 < f.length; c0 += CHUNK) {  // chunks against the scan's order
        const auto [t0, steps] = f.chunk(c0, !reverse);
        const float* x_c = f.project(n, t0, steps, xw.data(), xbuf.data());
        for (int64_t k = 0; k < steps; ++k) {
          const int64_t t = reverse ? t0 + k : t0 + steps - 1 - k;
          const float* gates = xw.data() + (t - t0) * width;
          gates_of<LSTM>(gates, f.bp, hid, z.data(), cand.data());
          const float* prev =
              t == first ? f.h0p + n * hid : op + n * f.o_n + (reverse ? t + 1 : t - 1) * f.o_t;
          float* dx = dxw.data() + (t - t0) * width;
          step_backward<LSTM>(gates, f.bp, z.data(), cand.data(), prev, gp + n * g_n + t * g_t,
                              carry.data(), dx, hid);
          if (db) add_row(db, dx, width);
        }
        rnnkit::small_gemm_tn(x_c, f.in, dxw.data(), width, dwt, width, f.in, steps, width);
        if (d.dx) {
          float* dx_c = d.dx + (n * f.length + t0) * f.in;
          rnnkit::small_gemm(dxw.data(), width, wp, f.in, nullptr, 0, dx_c, f.in, steps, width,
                             f.in);
        }
      }
      std::copy(carry.begin(), carry.end(), d.dh0 + n * hid);
    }
  });
}

float* data_or_null(at::Tensor& t) { return t.numel() ? t.data_ptr<float>() : nullptr; }

}  // namespace

bool min_fused_available() { return true; }

// out (N, L, H) <- the states (any strides over (N, L), 1 over H); x (N, L, H_in) with 1 over
// H_in; wt = W^T (H_in, G*H) contiguous; bias (G*H) or empty; h0 (N, H) contiguous.
void min_fused_forward(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& bias,
                       const at::Tensor& h0, at::Tensor& out, bool reverse, bool lstm) {
  const Fused f(x, wt, bias, h0, out);
  if (lstm) {
    forward<true>(f, out.data_ptr<float>(), reverse);
  } else {
    forward<false>(f, out.data_ptr<float>(), reverse);
  }
}

// dwt (threads, H_in, G*H) zeros <- per-thread dW^T; dx (N, L, H_in) contiguous or empty;
// dh0 (N, H); db_rows (N, G*H) or empty; w (G*H, H_in) contiguous (for dx).
void min_fused_backward(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& w,
                        const at::Tensor& bias, const at::Tensor& h0, const at::Tensor& out,
                        const at::Tensor& grad_out, at::Tensor& dwt, at::Tensor& dx,
                        at::Tensor& dh0, at::Tensor& db_rows, bool reverse, bool lstm) {
  const Fused f(x, wt, bias, h0, out);
  const Grads d{dwt.data_ptr<float>(), data_or_null(dx), dh0.data_ptr<float>(),
                data_or_null(db_rows), dwt.size(0)};
  const float* op = out.data_ptr<float>();
  if (lstm) {
    backward<true>(f, op, grad_out, w.data_ptr<float>(), d, reverse);
  } else {
    backward<false>(f, op, grad_out, w.data_ptr<float>(), d, reverse);
  }
}

#else  // no AVX-512 here: min_fused_available() is false and the caller never comes here

bool min_fused_available() { return false; }

void min_fused_forward(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                       const at::Tensor&, at::Tensor&, bool, bool) {
  TORCH_CHECK(false, "rnnkit min fused: built without AVX-512");
}

void min_fused_backward(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                        const at::Tensor&, const at::Tensor&, const at::Tensor&,
                        const at::Tensor&, at::Tensor&, at::Tensor&, at::Tensor&, at::Tensor&,
                        bool, bool) {
  TORCH_CHECK(false, "rnnkit min fused: built without AVX-512");
}

#endif
