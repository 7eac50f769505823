// C (rows, M) = D + A (rows, K) @ B (K, M) for the small products of one recurrent step, with
// AVX-512 register tiles: 6 rows x 4 vectors of 16 floats (24 accumulators), every A value
// broadcast once per k, every B row loaded once per tile. All matrices are row-major with
// leading dimensions lda, ldb, ldc, ldd; M must be a multiple of 16; D may be null (zeros).
// small_gemm_tn is C += A^T B for A (K, rows): a weight gradient summed step by step while
// the step's A and B are still in L1.
//
// Why not ATen: an LSTM step at N = 32, H = 64 is (32, 64) @ (64, 256) and its backward
// (32, 256) @ (256, 64), half a million multiply-adds each. MKL's sgemm takes about 21 and
// 17 us for them here (200 calls, one thread: 4.1 and 3.3 ms), most of it outside the
// arithmetic; the tiles take 10 and 9 us (about 100 GFLOP/s), reading B from L1/L2.
#pragma once

#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace rnnkit {

constexpr int kTileRows = 6;
constexpr int kTileVectors = 4;

// A's element (r, k): row-major A, or A^T when TA (A stored (K, rows)).
template <bool TA>
inline float a_at(const float* a, int64_t lda, int r, int64_t k) {
  return TA ? a[k * lda + r] : a[r * lda + k];
}

template <bool TA, int R, int V>
void gemm_tile(const float* __restrict a, int64_t lda, const float* __restrict b, int64_t ldb,
               const float* d, int64_t ldd, float* c, int64_t ldc,
               int64_t k_size) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      acc[r][v] = d ? _mm512_loadu_ps(d + r * ldd + 16 * v) : _mm512_setzero_ps();
    }
  }
  for (int64_t k = 0; k < k_size; ++k) {
    __m512 bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) bv[v] = _mm512_loadu_ps(b + k * ldb + 16 * v);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a_at<TA>(a, lda, r, k));
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
  }
}

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, const float*, int64_t,
                        float*, int64_t, int64_t);

#define RNNKIT_TILE_ROW(TA, R) \
  {gemm_tile<TA, R, 1>, gemm_tile<TA, R, 2>, gemm_tile<TA, R, 3>, gemm_tile<TA, R, 4>}
#define RNNKIT_TILES(TA)                                                               \
  {RNNKIT_TILE_ROW(TA, 1), RNNKIT_TILE_ROW(TA, 2), RNNKIT_TILE_ROW(TA, 3), \
   RNNKIT_TILE_ROW(TA, 4), RNNKIT_TILE_ROW(TA, 5), RNNKIT_TILE_ROW(TA, 6)}
inline constexpr TileFn kTiles[2][kTileRows][kTileVectors] = {RNNKIT_TILES(false),
                                                               RNNKIT_TILES(true)};
#undef RNNKIT_TILES
#undef RNNKIT_TILE_ROW

// Column stripes of 64 outer (a stripe of B, K x 64 floats, stays in cache), row tiles inner.
// A's row r starts at a + r * a_row (a_row = lda, or 1 for A^T).
inline void tiled(bool ta, const float* a, int64_t lda, int64_t a_row, const float* b,
                  int64_t ldb, const float* d, int64_t ldd, float* c, int64_t ldc, int64_t rows,
                  int64_t k_size, int64_t m_size) {
  for (int64_t j = 0; j < m_size; j += 16 * kTileVectors) {
    const int64_t left = (m_size - j) / 16;
    const int vectors = static_cast<int>(left < kTileVectors ? left : kTileVectors);
    for (int64_t r = 0; r < rows; r += kTileRows) {
      const int64_t n = rows - r < kTileRows ? rows - r : kTileRows;
      kTiles[ta][n - 1][vectors - 1](a + r * a_row, lda, b + j, ldb,
                                     d ? d + r * ldd + j : nullptr, ldd, c + r * ldc + j, ldc,
                                     k_size);
    }
  }
}

inline void small_gemm(const float* a, int64_t lda, const float* b, int64_t ldb, const float* d,
                       int64_t ldd, float* c, int64_t ldc, int64_t rows, int64_t k_size,
                       int64_t m_size) {
  tiled(false, a, lda, lda, b, ldb, d, ldd, c, ldc, rows, k_size, m_size);
}

// C (rows, M) += A^T B, A (K, rows) with leading dimension lda, B (K, M).
inline void small_gemm_tn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                          int64_t ldc, int64_t rows, int64_t k_size, int64_t m_size) {
  tiled(true, a, lda, 1, b, ldb, c, ldc, c, ldc, rows, k_size, m_size);
}

}  // namespace rnnkit

#define RNNKIT_SMALL_GEMM 1
#else
#define RNNKIT_SMALL_GEMM 0
#endif
