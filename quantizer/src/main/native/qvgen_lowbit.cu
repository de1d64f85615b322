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
        act_quant_kernel<T, int8_t><<<M, kThreads, 0, stream>>>(reinterpret_cast<const T*>(x.data_ptr<ATT>()),  \
            K, bits, max_abs, lp, hp, per_sample, codes.data_ptr<int8_t>(), sx.data_ptr<float>(), u.data_ptr<float>()); \
    else                                                                                                      \
        act_quant_kernel<T, __nv_fp8_e4m3><<<M, kThreads, 0, stream>>>(                                       \
            reinterpret_cast<const T*>(x.data_ptr<ATT>()), K, bits, max_abs, lp, hp, per_sample,                \
            reinterpret_cast<__nv_fp8_e4m3*>(codes.data_ptr()), sx.data_ptr<float>(), u.data_ptr<float>());
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

}  // namespace

TORCH_LIBRARY(qvgen_lowbit, m) {
    m.def("act_quant(Tensor x, int bits, Tensor ratio_lo, Tensor ratio_hi, bool int8_codes) -> (Tensor, Tensor, Tensor)");
    m.def("unpack4(Tensor packed, Tensor offset, bool int8_codes) -> Tensor");
    m.def("int8_epilogue(Tensor acc, Tensor sx, Tensor sw, Tensor u, Tensor v, Tensor bias, ScalarType out_type) -> Tensor");
}

TORCH_LIBRARY_IMPL(qvgen_lowbit, CUDA, m) {
    m.impl("act_quant", &act_quant);
    m.impl("unpack4", &unpack4);
    m.impl("int8_epilogue", &int8_epilogue);
}
