// The LSTM cell's elementwise work on one step's rows, shared by the step loops
// (lstm_loop.cpp) and the fused layer (lstm_fused.cpp). Equations: see lstm_loop.cpp.
#pragma once

#include <cmath>
#include <cstdint>

namespace rnnkit {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Rows [0, b) of a step: a (b, 4H) holds the pre-activation a' on entry and (i, f, g, o) on
// exit; c_next = f c_prev + i g, tc = tanh(c_next), h_next = o tc.
inline void cell_forward(float* a, const float* c_prev, float* c_next, float* h_next, float* tc,
                         int64_t b, int64_t hid) {
  for (int64_t r = 0; r < b; ++r) {
    float* row = a + r * 4 * hid;
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

// Rows [0, b) of a step backward: from the activations act (b, 4H), tanh(c) tc, c_prev, the
// output gradient go and the carried dh, dc, writes dL/da' into da (b, 4H) and dc_t f into dc.
inline void cell_backward(const float* act, const float* tc, const float* c_prev,
                          const float* go, const float* dh, float* dc, float* da, int64_t b,
                          int64_t hid) {
  for (int64_t r = 0; r < b; ++r) {
    const float* a = act + r * 4 * hid;
    float* row = da + r * 4 * hid;
#pragma omp simd
    for (int64_t j = 0; j < hid; ++j) {
      const int64_t e = r * hid + j;
      const float i = a[j], f = a[hid + j], g = a[2 * hid + j], o = a[3 * hid + j];
      const float th = tc[e];
      const float d = dh[e] + go[e];
      const float dct = dc[e] + d * (o - o * th * th);
      row[j] = dct * g * (i - i * i);
      row[hid + j] = dct * c_prev[e] * (f - f * f);
      row[2 * hid + j] = dct * i * (0.5f - 0.5f * g * g);
      row[3 * hid + j] = d * th * (o - o * o);
      dc[e] = dct * f;
    }
  }
}

}  // namespace rnnkit
