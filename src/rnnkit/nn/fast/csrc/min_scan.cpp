// The whole-sequence recurrence of MinGRU/MinLSTM (rnnkit/nn/minscan.py) in C++: one pass over
// each sequence, forward and backward, instead of a dozen ATen passes and a Brent-Kung tree.
//
// Per row n of the batch, for t in time order (reverse: t = L-1 ... 0), with xw (N, L, G*H)
// and the bias added on the fly:
//   k = xw_k (MinGRU) or softplus(-a_f) - softplus(-a_i) (MinLSTM), p = the last block
//   z = sigmoid(k), g = max(p + 1/2, sigmoid(p)), h_t = (1 - z) h_{t-1} + z g
// A step with k = -inf (padding) has z = 0 and keeps the state.
//
// Backward, in the other order, G = dL/dh_t summed over its later uses:
//   G = dout_t + carry, dk = G (g - h_{t-1}) z (1 - z), dp = G z g'(p), carry = (1 - z) G
//   MinLSTM: da_f = -sigmoid(-a_f) dk, da_i = sigmoid(-a_i) dk; dh_0 = the last carry.
// z and g are recomputed from xw (cheap arithmetic) rather than stored by the forward
// (memory traffic is the cost here). A sequential pass is the work-optimal scan on one core:
// L * H multiply-adds per row, vectorised over H; rows run in parallel over torch's threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <vector>

#include "min_cell.h"

namespace {

using namespace rnnkit_min;

// What both passes read: the sizes, the gates xw (N, L, G*H), the bias (or zeros) and h0.
struct Inputs {
  int64_t batch, length, hid, width;
  const float* xp;
  const float* h0p;
  std::vector<float> zeros;
  const float* bp;
  Inputs(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0)
      : batch(xw.size(0)), length(xw.size(1)), hid(h0.size(1)), width(xw.size(2)),
        xp(xw.data_ptr<float>()), h0p(h0.data_ptr<float>()),
        bp(bias_or_zeros(bias.numel() ? bias.data_ptr<float>() : nullptr, width, zeros)) {}
  Inputs(const Inputs&) = delete;  // bp may point into zeros
};

template <bool LSTM>
void forward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
             at::Tensor& out, bool reverse) {
  const Inputs in(xw, bias, h0);
  const int64_t batch = in.batch, length = in.length, hid = in.hid, width = in.width;
  const float *xp = in.xp, *bp = in.bp, *h0p = in.h0p;
  float* op = out.data_ptr<float>();  // any strides over (N, L), 1 over H
  const int64_t o_n = out.stride(0), o_t = out.stride(1);
  at::parallel_for(0, batch, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> z(hid), cand(hid);
    float* __restrict zp = z.data();
    float* __restrict cp = cand.data();
    for (int64_t n = lo; n < hi; ++n) {
      const float* prev = h0p + n * hid;
      for (int64_t k = 0; k < length; ++k) {
        const int64_t t = reverse ? length - 1 - k : k;
        gates_of<LSTM>(xp + (n * length + t) * width, bp, hid, zp, cp);
        float* h = op + n * o_n + t * o_t;
        state_of(prev, zp, cp, h, hid);
        prev = h;
      }
    }
  });
}

constexpr int64_t STEPS = 16;  // steps per block of the backward's output (a cache line each)

#if defined(__AVX512F__)
// Transpose a 16 x 16 tile of floats held as 16 rows in registers: 32-bit, then 64-bit
// interleaves within 128-bit lanes, then two rounds of 128-bit lane shuffles.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k) {
      t[8 * i + k] = _mm512_shuffle_f32x4(r[8 * i + k], r[8 * i + 4 + k], 0x88);
      t[8 * i + 4 + k] = _mm512_shuffle_f32x4(r[8 * i + k], r[8 * i + 4 + k], 0xdd);
    }
  }
  for (int k = 0; k < 8; ++k) {
    r[k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0xdd);
  }
}
#endif

// Copy a block of ``steps`` rows of dL/dxw (``buf``, row r = step t0 + r) to the output: rows
// of (N, L, G*H), or with ``transposed`` columns of (G*H, N*L), whose column of step t of row n
// is n * L + t; the block then fills one cache line of each of the G*H rows of the output.
inline void store_block(const float* __restrict buf, int64_t steps, int64_t width, float* dxp,
                        int64_t row0, int64_t columns, bool transposed) {
  if (!transposed) {
    std::copy(buf, buf + steps * width, dxp + row0 * width);
    return;
  }
  int64_t c0 = 0;
#if defined(__AVX512F__)
  if (steps == 16) {  // whole 16 x 16 tiles in registers
    for (; c0 + 16 <= width; c0 += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(buf + i * width + c0);
      transpose16(r);
      for (int k = 0; k < 16; ++k) _mm512_storeu_ps(dxp + (c0 + k) * columns + row0, r[k]);
    }
  }
#endif
  for (int64_t c = c0; c < width; ++c) {
    float* __restrict dst = dxp + c * columns + row0;
#pragma omp simd
    for (int64_t r = 0; r < steps; ++r) dst[r] = buf[r * width + c];
  }
}

template <bool LSTM>
void backward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
              const at::Tensor& out, const at::Tensor& grad_out, at::Tensor& grad_xw,
              at::Tensor& grad_h0, at::Tensor& grad_bias_rows, bool reverse, bool transposed) {
  const Inputs in(xw, bias, h0);
  const int64_t batch = in.batch, length = in.length, hid = in.hid, width = in.width;
  const float *xp = in.xp, *bp = in.bp, *h0p = in.h0p;
  const float* op = out.data_ptr<float>();  // out and grad_out: any strides over (N, L)
  const int64_t o_n = out.stride(0), o_t = out.stride(1);
  const float* gp = grad_out.data_ptr<float>();
  const int64_t g_n = grad_out.stride(0), g_t = grad_out.stride(1);
  float* dxp = grad_xw.data_ptr<float>();
  float* dh0p = grad_h0.data_ptr<float>();
  float* dbp = grad_bias_rows.numel() ? grad_bias_rows.data_ptr<float>() : nullptr;
  const int64_t first = reverse ? length - 1 : 0;
  const int64_t columns = transposed ? grad_xw.stride(0) : 0;  // >= N * L: rows may be padded
  at::parallel_for(0, batch, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> z(hid), cand(hid), carry(hid), buf(STEPS * width);
    float* __restrict zp = z.data();
    float* __restrict cp = cand.data();
    float* __restrict carp = carry.data();
    for (int64_t n = lo; n < hi; ++n) {
      std::fill(carry.begin(), carry.end(), 0.0f);
      float* db = dbp ? dbp + n * width : nullptr;
      if (db) std::fill(db, db + width, 0.0f);
      for (int64_t b0 = 0; b0 < length; b0 += STEPS) {  // blocks in the forward's order, reversed
        const int64_t steps = std::min(STEPS, length - b0);
        const int64_t t0 = reverse ? b0 : length - b0 - steps;  // the block's first step
        for (int64_t k = 0; k < steps; ++k) {
          const int64_t t = reverse ? t0 + k : t0 + steps - 1 - k;
          const float* __restrict gates = xp + (n * length + t) * width;
          gates_of<LSTM>(gates, bp, hid, zp, cp);
          const float* __restrict prev =
              t == first ? h0p + n * hid : op + n * o_n + (reverse ? t + 1 : t - 1) * o_t;
          const float* __restrict go = gp + n * g_n + t * g_t;
          float* __restrict dx = buf.data() + (t - t0) * width;
          step_backward<LSTM>(gates, bp, zp, cp, prev, go, carp, dx, hid);
          if (db) add_row(db, dx, width);
        }
        store_block(buf.data(), steps, width, dxp, n * length + t0, columns, transposed);
      }
      std::copy(carry.begin(), carry.end(), dh0p + n * hid);
    }
  });
}

}  // namespace

// out (N, L, H) <- the states, any strides over (N, L) and 1 over H (a time-major layer passes
// its (L, N, H) buffer transposed); xw (N, L, G*H) contiguous; h0 (N, H); bias (G*H) or empty.
void min_forward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
                 at::Tensor& out, bool reverse, bool lstm) {
  if (lstm) {
    forward<true>(xw, bias, h0, out, reverse);
  } else {
    forward<false>(xw, bias, h0, out, reverse);
  }
}

// grad_xw <- dL/dxw, (N, L, G*H) or with ``transposed`` (G*H, N*L) whose rows may be padded
// (a row stride over N*L: a power-of-two stride maps every row's cache line to one cache set);
// grad_h0 (N, H) <- dL/dh0; out and grad_out (N, L, H) may have any strides but 1 over H;
// grad_bias_rows (N, G*H) <- each row's dL/dbias (summed over rows by the caller, so that
// threads never share a sum), or empty.
void min_backward(const at::Tensor& xw, const at::Tensor& bias, const at::Tensor& h0,
                  const at::Tensor& out, const at::Tensor& grad_out, at::Tensor& grad_xw,
                  at::Tensor& grad_h0, at::Tensor& grad_bias_rows, bool reverse, bool lstm,
                  bool transposed) {
  if (lstm) {
    backward<true>(xw, bias, h0, out, grad_out, grad_xw, grad_h0, grad_bias_rows, reverse,
                   transposed);
  } else {
    backward<false>(xw, bias, h0, out, grad_out, grad_xw, grad_h0, grad_bias_rows, reverse,
                    transposed);
  }
}
