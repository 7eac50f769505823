// One step of MinGRU/MinLSTM for the C++ passes (min_scan.cpp, min_fused.cpp), per row of H:
//   k = xw_k (MinGRU) or softplus(-a_f) - softplus(-a_i) (MinLSTM), p = the last block
//   z = sigmoid(k), g = max(p + 1/2, sigmoid(p)), h_t = (1 - z) h_{t-1} + z g
// and its backward, with G = dL/dh_t summed over its later uses:
//   G = dout_t + carry, dk = G (g - h_{t-1}) z (1 - z), dp = G z g'(p), carry = (1 - z) G
//   MinLSTM: da_f = -sigmoid(-a_f) dk, da_i = sigmoid(-a_i) dk.
// A step with k = -inf (MinLSTM: a_i = -inf), padding, has z = 0 and keeps the state.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace rnnkit_min {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// softplus(x) = log(1 + e^x), written so that neither branch overflows.
inline float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

// Under -ffast-math no infinity may reach the arithmetic (its vectorised reciprocals turn one
// into NaN), so a padded step is read as 0 and its z set to 0 by a comparison instead.
inline bool padded(float x) { return x < -1e30f; }
inline float unpad(float x) { return padded(x) ? 0.0f : x; }

// z and g(p) of one step from its G*H pre-activations and the bias (zeros when there is none).
template <bool LSTM>
inline void gates_of(const float* __restrict gates, const float* __restrict bias, int64_t hid,
                     float* __restrict z, float* __restrict cand) {
  const int64_t last = (LSTM ? 2 : 1) * hid;
#pragma omp simd
  for (int64_t j = 0; j < hid; ++j) {
    const float raw = gates[LSTM ? hid + j : j];  // k or a_i: -inf on a padded step
    const float k = LSTM ? softplus(-(gates[j] + bias[j])) - softplus(-(unpad(raw) + bias[hid + j]))
                         : unpad(raw) + bias[j];
    const float p = gates[last + j] + bias[last + j];
    z[j] = padded(raw) ? 0.0f : sigmoid(k);
    cand[j] = std::max(p + 0.5f, sigmoid(p));
  }
}

// h = prev + z (g - prev): the step's new state.
inline void state_of(const float* __restrict prev, const float* __restrict z,
                     const float* __restrict cand, float* __restrict h, int64_t hid) {
#pragma omp simd
  for (int64_t j = 0; j < hid; ++j) h[j] = prev[j] + z[j] * (cand[j] - prev[j]);
}

// One step's backward: dx (G*H) <- dL/d[gates], carry (H) <- (1 - z) G, from the step's
// gates, its z and g (gates_of), the state before it and the incoming gradient go.
template <bool LSTM>
inline void step_backward(const float* __restrict gates, const float* __restrict bias,
                          const float* __restrict z, const float* __restrict cand,
                          const float* __restrict prev, const float* __restrict go,
                          float* __restrict carry, float* __restrict dx, int64_t hid) {
  const int64_t last = (LSTM ? 2 : 1) * hid;
#pragma omp simd
  for (int64_t j = 0; j < hid; ++j) {
    const float g = go[j] + carry[j];
    const float p = gates[last + j] + bias[last + j];
    // g'(p): 1 where p >= 0, else sigmoid'(p), with sigmoid(p) = g(p) there
    const float slope = p >= 0.0f ? 1.0f : cand[j] * (1.0f - cand[j]);
    const float dk = g * (cand[j] - prev[j]) * z[j] * (1.0f - z[j]);
    dx[last + j] = g * z[j] * slope;
    if (LSTM) {
      dx[j] = -sigmoid(-(gates[j] + bias[j])) * dk;
      dx[hid + j] = sigmoid(-(unpad(gates[hid + j]) + bias[hid + j])) * dk;
    } else {
      dx[j] = dk;
    }
    carry[j] = (1.0f - z[j]) * g;
  }
}

inline void add_row(float* __restrict sum, const float* __restrict row, int64_t width) {
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) sum[j] += row[j];
}

// The bias as a pointer to ``width`` floats: ``data``, or zeros held in ``zeros``.
inline const float* bias_or_zeros(const float* data, int64_t width, std::vector<float>& zeros) {
  if (data) return data;
  zeros.assign(width, 0.0f);
  return zeros.data();
}

}  // namespace rnnkit_min
