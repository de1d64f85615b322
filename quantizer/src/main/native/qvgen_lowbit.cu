// Low-bit GEMM helpers for the real (not simulated) W4A4 / W3A3 / W8A8 path on Hopper GPUs.
//
// Registered as torch ops (namespace qvgen_lowbit) so that TorchScript modules can call them and
// DJL can load them next to its libtorch (PYTORCH_EXTRA_LIBRARY_PATH). Built on the GPU machine
// against the installed torch by quantizer/scripts/build_lowbit_ops.py; no binary is committed.
//
// Why a kernel of our own: the per-token activation quantizer (min/max over a token, scale, zero
// point, round, clamp, cast) is memory-bound, and as eager ops it costs several full passes over
// the activation, more than the FP8 GEMM it feeds (issue 14: 0.71 ms against 0.14 ms for a
// 32760 x 1536 activation). TorchScript's fuser cannot emit float8 outputs. One block per token
// reads the row (twice: the second read hits L2) and writes one byte per value.
//
// Semantics (docs/PERFORMANCE.md "Real low-bit execution"): the simulated path computes
//   x_hat = (q - z) * s, q = clamp(round(x / s) + z, 0, L), L = 2^b - 1,
// with every op rounded to the activation's dtype (UniformQuantizer.activationPerToken) or, for the
// learnt-clipping quantizer, in float32 with per-sample clip ratios. This kernel computes the same
// s, z and q with the same roundings and writes the integer codes c = q - o with an offset o per
// token chosen so that c is exact in the output type (o = z clamped to [0, L] where that keeps c in
// range, else 2^(b-1)), plus d = o - z, so that x_hat = s * (c + d) exactly. The GEMM runs over c;
// the rank-2 correction u (M, 2) = [s*d, -s*(sum(c) + K*d)] restores d and the weight's fractional
// zero point (see LowBitLayout.java).
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <torch/library.h>

namespace {

template <typename T> __device__ __forceinline__ float to_f(T v);
template <> __device__ __forceinline__ float to_f<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ float to_f<__half>(__half v) { return __half2float(v); }

// Round a float32 result to T, as a torch op on T tensors does (round to nearest even).
template <typename T> __device__ __forceinline__ float rnd(float v);
template <> __device__ __forceinline__ float rnd<float>(float v) { return v; }
template <> __device__ __forceinline__ float rnd<__nv_bfloat16>(float v) { return __bfloat162float(__float2bfloat16_rn(v)); }
template <> __device__ __forceinline__ float rnd<__half>(float v) { return __half2float(__float2half_rn(v)); }

template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }

constexpr int kThreads = 256;

__device__ __forceinline__ void block_minmax(float& mn, float& mx, float* smem) {
    for (int o = 16; o > 0; o >>= 1) {
        mn = fminf(mn, __shfl_xor_sync(0xffffffff, mn, o));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, o));
    }
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) { smem[warp] = mn; smem[32 + warp] = mx; }
    __syncthreads();
    if (warp == 0) {
        mn = lane < kThreads / 32 ? smem[lane] : INFINITY;
        mx = lane < kThreads / 32 ? smem[32 + lane] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) {
            mn = fminf(mn, __shfl_xor_sync(0xffffffff, mn, o));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, o));
        }
        if (lane == 0) { smem[0] = mn; smem[32] = mx; }
    }
    __syncthreads();
    mn = smem[0];
    mx = smem[32];
    __syncthreads();
}

__device__ __forceinline__ int block_sum(int v, int* smem) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < kThreads / 32 ? smem[lane] : 0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
        if (lane == 0) smem[0] = v;
    }
    __syncthreads();
    return smem[0];
}

template <typename OutT> __device__ __forceinline__ OutT make_code(int c);
template <> __device__ __forceinline__ __nv_fp8_e4m3 make_code<__nv_fp8_e4m3>(int c) { return __nv_fp8_e4m3(static_cast<float>(c)); }
template <> __device__ __forceinline__ int8_t make_code<int8_t>(int c) { return static_cast<int8_t>(c); }

// One block per token. ratio_lo/hi: null (dynamic RTN quantizer, ops rounded to T) or per-sample
// clip ratios (learnt clipping, float32 ops), indexed by token / tokens_per_sample.
template <typename T, typename OutT>
__global__ void act_quant_kernel(const T* __restrict__ x, int64_t K, int bits, int max_code_abs,
                                 const float* __restrict__ ratio_lo, const float* __restrict__ ratio_hi,
                                 int64_t tokens_per_sample, OutT* __restrict__ codes, float* __restrict__ sx,
                                 float* __restrict__ u) {
    __shared__ float fsm[64];
    __shared__ int ism[32];
    const int64_t row = blockIdx.x;
    const T* xr = x + row * K;
    float mn = INFINITY, mx = -INFINITY;
    for (int64_t k = threadIdx.x; k < K; k += kThreads) {
        float v = to_f<T>(xr[k]);
        mn = fminf(mn, v);
        mx = fmaxf(mx, v);
    }
    block_minmax(mn, mx, fsm);
    const float L = static_cast<float>((1 << bits) - 1);
    float s, z;
    const bool clipped = ratio_lo != nullptr;
    if (clipped) {
        // ClippedDynamicActQuantizer: float32 throughout (the clip ratios are float32)
        int64_t b = row / tokens_per_sample;
        mn = mn * ratio_lo[b];
        mx = mx * ratio_hi[b];
        s = fminf(fmaxf((mx - mn) / L, 1e-8f), 3.402823466e38f);
        z = fminf(fmaxf(-rintf(mn / s), 0.f), L);
    } else {
        // UniformQuantizer.activationPerToken: each op rounded to T
        float range = rnd<T>(mx - mn);
        s = fmaxf(rnd<T>(range / L), rnd<T>(1e-8f));
        z = rintf(rnd<T>(-mn / s));
    }
    // offset: z clamped into [0, L] keeps c = q - o within [-L, L]; when that bound is too wide for
    // the code type (8-bit codes in int8) the middle code is used and d carries the rest
    float o = L <= max_code_abs ? fminf(fmaxf(z, 0.f), L) : static_cast<float>(1 << (bits - 1));
    int csum = 0;
    OutT* cr = codes + row * K;
    for (int64_t k = threadIdx.x; k < K; k += kThreads) {
        float v = to_f<T>(xr[k]);
        float a = clipped ? rintf(v / s) : rintf(rnd<T>(v / s));
        float q = fminf(fmaxf(clipped ? a + z : rnd<T>(a + z), 0.f), L);
        int c = static_cast<int>(q - o);
        csum += c;
        cr[k] = make_code<OutT>(c);
    }
    csum = block_sum(csum, ism);
    if (threadIdx.x == 0) {
        float d = o - z;
        sx[row] = s;
        u[2 * row] = s * d;
        u[2 * row + 1] = -s * (static_cast<float>(csum) + static_cast<float>(K) * d);
    }
}

// The same quantizer, one warp per token, 16-byte loads and 8-byte code stores: the one-block-per-
// token kernel above ran at 3.6x its memory floor for 1536-wide tokens (docs/PERFORMANCE.md, issue
// 14): a 256-thread block for a 3 KB row spends its time in two block-wide barriers and in being
// scheduled. Per element the arithmetic is the one above, op for op, so the codes, steps and u are
// identical (min, max and the integer code sum do not depend on the order of reduction).
// ROW_REGS > 0 keeps the row in registers (up to ROW_REGS 16-byte vectors per lane); 0 reads it twice
// (the second read hits L1/L2).
template <typename T> struct Vec16 { static constexpr int n = 16 / sizeof(T); };

template <typename T> __device__ __forceinline__ float lane_value(const uint4& v, int j) {
    return to_f<T>(reinterpret_cast<const T*>(&v)[j]);
}

template <typename OutT, int N> struct CodePack;
template <> struct CodePack<__nv_fp8_e4m3, 8> { using type = uint2; };
template <> struct CodePack<int8_t, 8> { using type = uint2; };
template <> struct CodePack<__nv_fp8_e4m3, 4> { using type = uint32_t; };
template <> struct CodePack<int8_t, 4> { using type = uint32_t; };

__device__ __forceinline__ float warp_min(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fminf(v, __shfl_xor_sync(0xffffffff, v, o));
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
    return v;
}
__device__ __forceinline__ int warp_sum(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    return v;
}

constexpr int kWarpsPerBlock = 8;

template <typename T, typename OutT, int ROW_REGS>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
act_quant_warp_kernel(const T* __restrict__ x, int64_t M, int64_t K, int bits, int max_code_abs,
                      const float* __restrict__ ratio_lo, const float* __restrict__ ratio_hi,
                      int64_t tokens_per_sample, OutT* __restrict__ codes, float* __restrict__ sx,
                      float* __restrict__ u) {
    constexpr int V = Vec16<T>::n;
    using Pack = typename CodePack<OutT, V>::type;
    const int lane = threadIdx.x & 31;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
    if (row >= M) return;  // whole warps leave together: the shuffles below stay full-warp
    const int64_t nvec = K / V;
    const uint4* xr = reinterpret_cast<const uint4*>(x + row * K);
    uint4 buf[ROW_REGS > 0 ? ROW_REGS : 1];
    float mn = INFINITY, mx = -INFINITY;
    if (ROW_REGS > 0) {
#pragma unroll
        for (int i = 0; i < ROW_REGS; i++) {
            int64_t idx = lane + 32 * static_cast<int64_t>(i);
            if (idx < nvec) {
                buf[i] = __ldg(xr + idx);
#pragma unroll
                for (int j = 0; j < V; j++) {
                    float v = lane_value<T>(buf[i], j);
                    mn = fminf(mn, v);
                    mx = fmaxf(mx, v);
                }
            }
        }
    } else {
        for (int64_t idx = lane; idx < nvec; idx += 32) {
            uint4 p = __ldg(xr + idx);
#pragma unroll
            for (int j = 0; j < V; j++) {
                float v = lane_value<T>(p, j);
                mn = fminf(mn, v);
                mx = fmaxf(mx, v);
            }
        }
    }
    mn = warp_min(mn);
    mx = warp_max(mx);
    const float L = static_cast<float>((1 << bits) - 1);
    float s, z;
    const bool clipped = ratio_lo != nullptr;
    if (clipped) {
        int64_t b = row / tokens_per_sample;
        mn = mn * ratio_lo[b];
        mx = mx * ratio_hi[b];
        s = fminf(fmaxf((mx - mn) / L, 1e-8f), 3.402823466e38f);
        z = fminf(fmaxf(-rintf(mn / s), 0.f), L);
    } else {
        float range = rnd<T>(mx - mn);
        s = fmaxf(rnd<T>(range / L), rnd<T>(1e-8f));
        z = rintf(rnd<T>(-mn / s));
    }
    const float o = L <= max_code_abs ? fminf(fmaxf(z, 0.f), L) : static_cast<float>(1 << (bits - 1));
    int csum = 0;
    Pack* cr = reinterpret_cast<Pack*>(codes + row * K);
    auto encode = [&](const uint4& p) {
        Pack out;
        OutT* oc = reinterpret_cast<OutT*>(&out);
#pragma unroll
        for (int j = 0; j < V; j++) {
            float v = lane_value<T>(p, j);
            float a = clipped ? rintf(v / s) : rintf(rnd<T>(v / s));
            float q = fminf(fmaxf(clipped ? a + z : rnd<T>(a + z), 0.f), L);
            int c = static_cast<int>(q - o);
            csum += c;
            oc[j] = make_code<OutT>(c);
        }
        return out;
    };
    if (ROW_REGS > 0) {
#pragma unroll
        for (int i = 0; i < ROW_REGS; i++) {
            int64_t idx = lane + 32 * static_cast<int64_t>(i);
            if (idx < nvec) cr[idx] = encode(buf[i]);
        }
    } else {
        for (int64_t idx = lane; idx < nvec; idx += 32) cr[idx] = encode(__ldg(xr + idx));
    }
    csum = warp_sum(csum);
    if (lane == 0) {
        float d = o - z;
        sx[row] = s;
        u[2 * row] = s * d;
        u[2 * row + 1] = -s * (static_cast<float>(csum) + static_cast<float>(K) * d);
    }
}

template <typename T, typename OutT>
void launch_act_quant(const T* x, int64_t M, int64_t K, int bits, int max_abs, const float* lo, const float* hi,
                      int64_t per_sample, OutT* codes, float* sx, float* u, cudaStream_t stream) {
    constexpr int V = Vec16<T>::n;
    const bool vector_ok = K % V == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                           reinterpret_cast<uintptr_t>(codes) % 8 == 0;
    if (!vector_ok) {
        act_quant_kernel<T, OutT><<<M, kThreads, 0, stream>>>(x, K, bits, max_abs, lo, hi, per_sample, codes, sx, u);
        return;
    }
    const int64_t blocks = (M + kWarpsPerBlock - 1) / kWarpsPerBlock;
    const int64_t nvec = K / V;
    if (nvec <= 32 * 8)
        act_quant_warp_kernel<T, OutT, 8><<<blocks, kWarpsPerBlock * 32, 0, stream>>>(
            x, M, K, bits, max_abs, lo, hi, per_sample, codes, sx, u);
    else
        act_quant_warp_kernel<T, OutT, 0><<<blocks, kWarpsPerBlock * 32, 0, stream>>>(
            x, M, K, bits, max_abs, lo, hi, per_sample, codes, sx, u);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> act_quant(const at::Tensor& x_in, int64_t bits,
                                                         const at::Tensor& ratio_lo, const at::Tensor& ratio_hi,
                                                         bool int8_codes) {
    TORCH_CHECK(x_in.is_cuda(), "act_quant: x must be on CUDA");
    TORCH_CHECK(bits >= 2 && bits <= 8, "act_quant: bits must be 2..8");
    TORCH_CHECK(int8_codes || bits <= 4, "act_quant: FP8 codes are exact for up to 4-bit activations only");
    c10::cuda::CUDAGuard guard(x_in.device());
    at::Tensor x = x_in.contiguous();
    const int64_t K = x.size(-1);
    const int64_t M = x.numel() / K;
    const bool clipped = ratio_lo.numel() > 0;
    int64_t per_sample = M;
    at::Tensor lo, hi;
    if (clipped) {
        lo = ratio_lo.to(x.device(), at::kFloat).contiguous();
        hi = ratio_hi.to(x.device(), at::kFloat).contiguous();
        TORCH_CHECK(lo.numel() == hi.numel() && M % lo.numel() == 0, "act_quant: one clip ratio per sample");
        per_sample = M / lo.numel();
    }
    auto fopt = x.options().dtype(at::kFloat);
    at::Tensor codes = at::empty({M, K}, x.options().dtype(int8_codes ? at::kChar : at::kFloat8_e4m3fn));
    at::Tensor sx = at::empty({M, 1}, fopt);
    at::Tensor u = at::empty({M, 2}, fopt);
    auto stream = at::cuda::getCurrentCUDAStream();
    const float* lp = clipped ? lo.data_ptr<float>() : nullptr;
    const float* hp = clipped ? hi.data_ptr<float>() : nullptr;
    const int max_abs = int8_codes ? 127 : 16;
#define QV_LAUNCH(T, ATT)                                                                                     \
    if (int8_codes)                                                                                           \
        launch_act_quant<T, int8_t>(reinterpret_cast<const T*>(x.data_ptr<ATT>()), M, K, bits, max_abs, lp, hp,  \
            per_sample, codes.data_ptr<int8_t>(), sx.data_ptr<float>(), u.data_ptr<float>(), stream);           \
    else                                                                                                      \
        launch_act_quant<T, __nv_fp8_e4m3>(reinterpret_cast<const T*>(x.data_ptr<ATT>()), M, K, bits, max_abs,  \
            lp, hp, per_sample, reinterpret_cast<__nv_fp8_e4m3*>(codes.data_ptr()), sx.data_ptr<float>(),       \
            u.data_ptr<float>(), stream);
    if (M > 0) {
        if (x.scalar_type() == at::kBFloat16) {
            QV_LAUNCH(__nv_bfloat16, at::BFloat16)
        } else if (x.scalar_type() == at::kHalf) {
            QV_LAUNCH(__half, at::Half)
        } else if (x.scalar_type() == at::kFloat) {
            QV_LAUNCH(float, float)
        } else {
            TORCH_CHECK(false, "act_quant: x must be bfloat16, float16 or float32");
        }
        C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
#undef QV_LAUNCH
    return {codes, sx, u};
}

// Packed 4-bit weight codes (BitPacking's layout: code 2j in the low nibble of byte j of a row)
// to FP8 or int8 codes e = nibble - offset[row].
template <typename OutT>
__global__ void unpack4_kernel(const uint8_t* __restrict__ packed, const int32_t* __restrict__ offset, int64_t N,
                               int64_t K, OutT* __restrict__ out) {
    int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    int64_t half = K / 2;
    if (i >= N * half) return;
    int64_t r = i / half;
    uint8_t p = packed[i];
    int o = offset[r];
    out[2 * i] = make_code<OutT>(static_cast<int>(p & 15) - o);
    out[2 * i + 1] = make_code<OutT>(static_cast<int>(p >> 4) - o);
}

at::Tensor unpack4(const at::Tensor& packed_in, const at::Tensor& offset_in, bool int8_codes) {
    TORCH_CHECK(packed_in.is_cuda() && packed_in.scalar_type() == at::kByte && packed_in.dim() == 2,
                "unpack4: packed must be a 2-D uint8 CUDA tensor");
    c10::cuda::CUDAGuard guard(packed_in.device());
    at::Tensor packed = packed_in.contiguous();
    at::Tensor offset = offset_in.to(packed.device(), at::kInt).contiguous();
    const int64_t N = packed.size(0), K = packed.size(1) * 2;
    TORCH_CHECK(offset.numel() == N, "unpack4: one offset per row");
    at::Tensor out = at::empty({N, K}, packed.options().dtype(int8_codes ? at::kChar : at::kFloat8_e4m3fn));
    const int64_t n = N * (K / 2);
    if (n > 0) {
        auto stream = at::cuda::getCurrentCUDAStream();
        const int threads = 256;
        const int64_t blocks = (n + threads - 1) / threads;
        if (int8_codes)
            unpack4_kernel<int8_t><<<blocks, threads, 0, stream>>>(packed.data_ptr<uint8_t>(), offset.data_ptr<int32_t>(),
                                                                  N, K, out.data_ptr<int8_t>());
        else
            unpack4_kernel<__nv_fp8_e4m3><<<blocks, threads, 0, stream>>>(
                packed.data_ptr<uint8_t>(), offset.data_ptr<int32_t>(), N, K,
                reinterpret_cast<__nv_fp8_e4m3*>(out.data_ptr()));
        C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
    return out;
}

// INT8 GEMM epilogue: y = acc * sx * sw + u @ v + bias, rounded once to the output type.
template <typename T>
__global__ void int8_epilogue_kernel(const int32_t* __restrict__ acc, const float* __restrict__ sx,
                                     const float* __restrict__ sw, const float* __restrict__ u,
                                     const float* __restrict__ v, const T* __restrict__ bias, int64_t M, int64_t N,
                                     T* __restrict__ y) {
    int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= M * N) return;
    int64_t m = i / N, n = i % N;
    float r = static_cast<float>(acc[i]) * sx[m] * sw[n];
    if (u != nullptr) r += u[2 * m] * v[n] + u[2 * m + 1] * v[N + n];
    if (bias != nullptr) r += to_f<T>(bias[n]);
    y[i] = from_f<T>(r);
}

at::Tensor int8_epilogue(const at::Tensor& acc, const at::Tensor& sx_in, const at::Tensor& sw_in,
                         const at::Tensor& u_in, const at::Tensor& v_in, const at::Tensor& bias_in,
                         at::ScalarType out_type) {
    TORCH_CHECK(acc.is_cuda() && acc.scalar_type() == at::kInt && acc.dim() == 2 && acc.is_contiguous(),
                "int8_epilogue: acc must be a contiguous 2-D int32 CUDA tensor");
    c10::cuda::CUDAGuard guard(acc.device());
    const int64_t M = acc.size(0), N = acc.size(1);
    at::Tensor sx = sx_in.to(at::kFloat).contiguous(), sw = sw_in.to(at::kFloat).contiguous();
    TORCH_CHECK(sx.numel() == M && sw.numel() == N, "int8_epilogue: scales must be (M) and (N)");
    const bool corr = u_in.numel() > 0;
    at::Tensor u, v;
    if (corr) {
        u = u_in.to(at::kFloat).contiguous();
        v = v_in.to(at::kFloat).contiguous();
        TORCH_CHECK(u.numel() == 2 * M && v.numel() == 2 * N, "int8_epilogue: u (M, 2), v (2, N)");
    }
    at::Tensor y = at::empty({M, N}, acc.options().dtype(out_type));
    at::Tensor bias = bias_in.numel() > 0 ? bias_in.to(out_type).contiguous() : bias_in;
    TORCH_CHECK(bias.numel() == 0 || bias.numel() == N, "int8_epilogue: bias must be (N)");
    const int64_t n = M * N;
    if (n > 0) {
        auto stream = at::cuda::getCurrentCUDAStream();
        const int threads = 256;
        const int64_t blocks = (n + threads - 1) / threads;
#define QV_EPI(T, ATT)                                                                                   \
    int8_epilogue_kernel<T><<<blocks, threads, 0, stream>>>(acc.data_ptr<int32_t>(), sx.data_ptr<float>(),  \
        sw.data_ptr<float>(), corr ? u.data_ptr<float>() : nullptr, corr ? v.data_ptr<float>() : nullptr,   \
        bias.numel() > 0 ? reinterpret_cast<const T*>(bias.data_ptr<ATT>()) : nullptr, M, N,                \
        reinterpret_cast<T*>(y.data_ptr<ATT>()));
        if (out_type == at::kBFloat16) {
            QV_EPI(__nv_bfloat16, at::BFloat16)
        } else if (out_type == at::kHalf) {
            QV_EPI(__half, at::Half)
        } else if (out_type == at::kFloat) {
            QV_EPI(float, float)
        } else {
            TORCH_CHECK(false, "int8_epilogue: output must be bfloat16, float16 or float32");
        }
#undef QV_EPI
        C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
    return y;
}

// The rank-2 correction y += u v (u (M, 2), v (2, N), float32), in place, rounded once to y's type.
// mode 1: v's second row is zero (no fractional weight zero point), so only the rows with
// u[m][0] != 0 change, and real activations almost never have one (a token whose range excludes 0):
// each warp reads 32 rows' u and ballots those that need work, so the common case costs a read of
// u instead of addmm_'s pass over the whole output (up to 0.68 ms a layer). mode 2: every row.
template <typename T>
__global__ void correct_sparse_kernel(T* __restrict__ y, const float* __restrict__ u, const float* __restrict__ v,
                                      int64_t M, int64_t N) {
    const int lane = threadIdx.x & 31;
    const int64_t r0 = (static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5)) * 32;
    if (r0 >= M) return;
    const int64_t r = r0 + lane;
    unsigned mask = __ballot_sync(0xffffffff, r < M && u[2 * r] != 0.f);
    while (mask) {
        const int b = __ffs(mask) - 1;
        mask &= mask - 1;
        const int64_t row = r0 + b;
        const float a0 = u[2 * row];
        T* yr = y + row * N;
        for (int64_t n = lane; n < N; n += 32) yr[n] = from_f<T>(to_f<T>(yr[n]) + a0 * v[n]);
    }
}

template <typename T>
__global__ void correct_dense_kernel(T* __restrict__ y, const float* __restrict__ u, const float* __restrict__ v,
                                     int64_t M, int64_t N) {
    const int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (n >= N) return;
    const float v0 = v[n], v1 = v[N + n];
    for (int64_t row = blockIdx.y; row < M; row += gridDim.y) {
        T* p = y + row * N + n;
        *p = from_f<T>(to_f<T>(*p) + (u[2 * row] * v0 + u[2 * row + 1] * v1));
    }
}

at::Tensor correct_rows_(at::Tensor y, const at::Tensor& u_in, const at::Tensor& v_in, int64_t mode) {
    if (mode == 0) return y;
    TORCH_CHECK(mode == 1 || mode == 2, "correct_rows_: mode must be 0, 1 or 2");
    TORCH_CHECK(y.is_cuda() && y.dim() == 2 && y.is_contiguous(), "correct_rows_: y must be a contiguous 2-D CUDA tensor");
    c10::cuda::CUDAGuard guard(y.device());
    const int64_t M = y.size(0), N = y.size(1);
    at::Tensor u = u_in.to(y.device(), at::kFloat).contiguous();
    at::Tensor v = v_in.to(y.device(), at::kFloat).contiguous();
    TORCH_CHECK(u.numel() == 2 * M && v.numel() == 2 * N, "correct_rows_: u (M, 2), v (2, N)");
    if (M == 0 || N == 0) return y;
    auto stream = at::cuda::getCurrentCUDAStream();
#define QV_CORR(T, ATT)                                                                                        \
    if (mode == 1) {                                                                                           \
        const int64_t warps = (M + 31) / 32;                                                                   \
        correct_sparse_kernel<T><<<(warps + 7) / 8, 256, 0, stream>>>(reinterpret_cast<T*>(y.data_ptr<ATT>()), \
            u.data_ptr<float>(), v.data_ptr<float>(), M, N);                                                   \
    } else {                                                                                                   \
        dim3 grid((N + 255) / 256, static_cast<unsigned>(std::min<int64_t>(M, 4096)));                         \
        correct_dense_kernel<T><<<grid, 256, 0, stream>>>(reinterpret_cast<T*>(y.data_ptr<ATT>()),             \
            u.data_ptr<float>(), v.data_ptr<float>(), M, N);                                                   \
    }
    if (y.scalar_type() == at::kBFloat16) {
        QV_CORR(__nv_bfloat16, at::BFloat16)
    } else if (y.scalar_type() == at::kHalf) {
        QV_CORR(__half, at::Half)
    } else if (y.scalar_type() == at::kFloat) {
        QV_CORR(float, float)
    } else {
        TORCH_CHECK(false, "correct_rows_: y must be bfloat16, float16 or float32");
    }
#undef QV_CORR
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return y;
}

}  // namespace

TORCH_LIBRARY(qvgen_lowbit, m) {
    m.def("act_quant(Tensor x, int bits, Tensor ratio_lo, Tensor ratio_hi, bool int8_codes) -> (Tensor, Tensor, Tensor)");
    m.def("unpack4(Tensor packed, Tensor offset, bool int8_codes) -> Tensor");
    m.def("int8_epilogue(Tensor acc, Tensor sx, Tensor sw, Tensor u, Tensor v, Tensor bias, ScalarType out_type) -> Tensor");
    m.def("correct_rows_(Tensor(a!) y, Tensor u, Tensor v, int mode) -> Tensor(a!)");
}

TORCH_LIBRARY_IMPL(qvgen_lowbit, CUDA, m) {
    m.impl("act_quant", &act_quant);
    m.impl("unpack4", &unpack4);
    m.impl("int8_epilogue", &int8_epilogue);
    m.impl("correct_rows_", &correct_rows_);
}
