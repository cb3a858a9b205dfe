using System.Buffers;
using LowBit.Kernels;
using LowBit.Kernels.Conv;
using LowBit.Kernels.Gemm;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of Conv (float32; other float types through float32). Per image and group, with col = im2col(x) [K, P],
/// K = C/g·∏kernel, P = ∏output:
/// <code>
/// dB[m]       = Σ_n Σ_p dY[n, m, p]
/// dW_g[M/g,K] = Σ_n dY_{n,g}[M/g, P] · col_{n,g}ᵀ             explicit im2col, one GEMM per image, images over threads
/// dX          stride 1: a convolution of dY with the flipped, channel-swapped kernel
///               W'[c, m, kh, kw] = W[m, c, KH−1−kh, KW−1−kw], pads (K−1)·d − pad, on the forward's implicit-GEMM kernel
///             otherwise (strided, or a pad beyond the kernel's extent): col2im(W_gᵀ · dY_{n,g}), one GEMM + one
///               scatter-add per image
/// </code>
/// Depthwise convolutions (C/g = 1) use a direct kernel; 3-D and higher convolutions the N-D im2col/col2im.
/// </summary>
internal static class ConvGrad
{
    [Grad("Conv", 1)]
    public static Tensor?[] Conv(GradContext ctx, Tensor x, Tensor w, Tensor? b = null, string auto_pad = "NOTSET", long[]? dilations = null,
        long group = 1, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        if (!x.DType.IsFloat()) return [null, null, null];
        var spec = WindowSpec.Forward(x.Shape[2..], w.Shape[2..], auto_pad, dilations, pads, strides);
        int groups = (int)group;
        var x32 = Elementwise.ToFloat32(x);
        var w32 = Elementwise.ToFloat32(w);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        bool needX = ctx.Needs(0), needW = ctx.Needs(1);
        Tensor? dx = needX ? Tensor.Zeros(DType.Float32, x.Shape) : null;
        Tensor? dw = needW ? Tensor.Zeros(DType.Float32, w.Shape) : null;
        int cg = x.Shape[1] / groups;
        if (dy.Length > 0 && (needX || needW))
        {
            if (cg == 1 && groups > 1 && spec.Rank <= 2) Depthwise(x32, w32, dy, spec, groups, dx, dw);
            else if (spec.Rank <= 2)
            {
                if (dx is not null)
                {
                    if (TransposedConvApplies(spec)) DataStride1(w32, dy, spec, groups, dx);
                    else DataCol2Im(w32, dy, spec, groups, dx);
                }
                if (dw is not null) Weights(x32, dy, spec, groups, dw);
            }
            else NdBackward(x32, w32, dy, spec, groups, dx, dw);
        }
        Tensor? db = b is not null && ctx.Needs(2) ? Bias(dy, w.Shape[0]) : null;
        return [Back(dx, x), Back(dw, w), Back(db, b)];
    }

    private static Tensor? Back(Tensor? g, Tensor? like) => g is null || like!.DType == DType.Float32 ? g : Elementwise.Cast(g, like.DType);

    /// <summary>dB[m] = Σ over images and output positions of dY[n, m, ·] (double accumulation across planes).</summary>
    private static Tensor Bias(Tensor dy, int m)
    {
        int n = dy.Shape[0], plane = dy.Length / Math.Max(1, n * m);
        var g = dy.AsReadOnlySpan<float>();
        var sums = new double[m];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < m; c++) sums[c] += TP.Sum(g.Slice((i * m + c) * plane, plane));
        return Tensor.FromArray(sums.Select(v => (float)v).ToArray(), m);
    }

    /// <summary>Stride 1 with every pad within the kernel's extent (K − 1)·d: the transposed convolution's pads
    /// (K − 1)·d − pad are then non-negative on both sides, as the forward kernels assume.</summary>
    private static bool TransposedConvApplies(WindowSpec spec)
    {
        for (int d = 0; d < spec.Rank; d++)
        {
            int extent = (spec.Kernel[d] - 1) * spec.Dilations[d];
            if (spec.Strides[d] != 1 || spec.PadBegin[d] > extent || spec.PadEnd[d] > extent) return false;
        }
        return true;
    }

    /// <summary>Stride 1: dX_g = conv(dY_g, W'_g) with W'_g [C/g, M/g·∏kernel] the flipped kernel (see the class
    /// summary); batched over images for deep layers, else one image per thread, as the forward chooses.</summary>
    private static void DataStride1(Tensor w, Tensor dy, WindowSpec spec, int groups, Tensor dx)
    {
        int n = dx.Shape[0], c = dx.Shape[1], m = w.Shape[0], cg = c / groups, mg = m / groups;
        var fwd = spec.To2D(cg);
        int kh = fwd.KernelH, kw = fwd.KernelW, kk = kh * kw, k = mg * kk;
        var shape = new Conv2DShape(mg, fwd.OutH, fwd.OutW, kh, kw, 1, 1,
            (kh - 1) * fwd.DilationH - fwd.PadTop, (kw - 1) * fwd.DilationW - fwd.PadLeft, fwd.DilationH, fwd.DilationW, fwd.Height, fwd.Width);
        int outPlane = fwd.N, inPlane = fwd.Height * fwd.Width, degree = Parallelism.Degree;
        var gemm = GemmF32.Kernel;
        bool transposed = gemm.PrefersTransposedConv(cg, inPlane);
        var ws = w.AsReadOnlySpan<float>();
        var flipped = new float[cg * k];
        for (int g = 0; g < groups; g++)
        {
            for (int ci = 0; ci < cg; ci++)
                for (int mi = 0; mi < mg; mi++)
                {
                    var src = ws.Slice(((g * mg + mi) * cg + ci) * kk, kk);
                    var dst = flipped.AsSpan((ci * mg + mi) * kk, kk);
                    for (int t = 0; t < kk; t++) dst[kk - 1 - t] = src[t];
                }
            var packed = transposed ? gemm.PackB(true, k, cg, flipped, k) : gemm.PackA(false, cg, k, flipped, k);
            int gi = g;
            if (n > 1 && !transposed && cg > inPlane)
            {
                // As the forward: with two or more images per thread, each thread takes its own run of images.
                ConvOps.ForImageRuns(n, 2, (i0, i1, threads) =>
                {
                    int count = i1 - i0;
                    gemm.Conv2D(packed, dy.AsReadOnlySpan<float>()[((i0 * m + gi * mg) * outPlane)..], (long)m * outPlane, count, shape,
                        dx.AsSpan<float>().Slice((i0 * c + gi * cg) * inPlane, (count - 1) * c * inPlane + cg * inPlane), (long)c * inPlane,
                        default, threads);
                });
                continue;
            }
            bool perImage = degree > 1 && n >= degree;
            Parallelism.For(perImage ? n : 1, t =>
            {
                int i0 = perImage ? t : 0, i1 = perImage ? t + 1 : n;
                for (int i = i0; i < i1; i++)
                    gemm.Conv2D(packed, dy.AsReadOnlySpan<float>().Slice((i * m + gi * mg) * outPlane, mg * outPlane), shape,
                        dx.AsSpan<float>().Slice((i * c + gi * cg) * inPlane, cg * inPlane), default, perImage ? 1 : degree);
            });
        }
    }

    /// <summary>Strided: per image and group, col = W_gᵀ·dY_{n,g} (Wᵀ packed once per group), then col2im into dX.
    /// Images are split across threads, each with its own col buffer.</summary>
    private static void DataCol2Im(Tensor w, Tensor dy, WindowSpec spec, int groups, Tensor dx)
    {
        int n = dx.Shape[0], c = dx.Shape[1], m = w.Shape[0], cg = c / groups, mg = m / groups;
        var s = spec.To2D(cg);
        int k = s.K, p = s.N, inPlane = s.Height * s.Width;
        var gemm = GemmF32.Kernel;
        var packed = new PackedMatrix[groups];
        for (int g = 0; g < groups; g++) packed[g] = gemm.PackA(true, k, mg, w.AsReadOnlySpan<float>().Slice(g * mg * k, mg * k), k);
        ConvOps.ForImageRuns(n, 1, (i0, i1, threads) =>
        {
            var col = ArrayPool<float>.Shared.Rent(k * p);
            try
            {
                for (int i = i0; i < i1; i++)
                    for (int g = 0; g < groups; g++)
                    {
                        gemm.Gemm(packed[g], false, p, dy.AsReadOnlySpan<float>().Slice((i * m + g * mg) * p, mg * p), p, 1f, 0f, col, p, default, threads);
                        ConvGrad2D.Accumulate(col, s, dx.AsSpan<float>().Slice((i * c + g * cg) * inPlane, cg * inPlane));
                    }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
            }
        });
    }

    /// <summary>
    /// dW_g += dY_{n,g}·col_{n,g}ᵀ per image. With at least 8 channels per group the product runs as
    /// dW'_g[M/g, taps·C/g] += dY_{n,g}[M/g, P]·colT_{n,g}[P, taps·C/g] with colT built channels-last
    /// (<see cref="ConvGrad2D.ExpandTransposed"/>), so both GEMM operands pack from contiguous rows; dW' (taps major) is
    /// permuted to [M, C/g, taps] at the end. Fewer channels use the plain im2col (the input itself for 1×1 stride-1
    /// unpadded kernels) as a transposed right operand. Each thread takes a contiguous range of images into its own
    /// partial; the partials are summed at the end.
    /// </summary>
    private static void Weights(Tensor x, Tensor dy, WindowSpec spec, int groups, Tensor dw)
    {
        int n = x.Shape[0], c = x.Shape[1], m = dw.Shape[0], cg = c / groups, mg = m / groups;
        var s = spec.To2D(cg);
        int k = s.K, p = s.N, inPlane = s.Height * s.Width, taps = s.KernelH * s.KernelW;
        bool channelsLast = cg >= 8;
        var gemm = GemmF32.Kernel;
        int parts = Math.Max(1, Math.Min(Parallelism.Degree, n));
        var partials = new float[parts][];
        Parallelism.For(parts, part =>
        {
            int i0 = (int)((long)n * part / parts), i1 = (int)((long)n * (part + 1) / parts);
            int threads = parts == 1 ? Parallelism.Degree : 1;
            var acc = part == 0 && !channelsLast ? (float[])dw.Data : new float[m * k];
            var col = channelsLast || !s.IsPointwise ? ArrayPool<float>.Shared.Rent(k * p) : null;
            var scratch = channelsLast ? ArrayPool<float>.Shared.Rent(cg * inPlane) : null;
            try
            {
                for (int i = i0; i < i1; i++)
                    for (int g = 0; g < groups; g++)
                    {
                        var xs = x.AsReadOnlySpan<float>().Slice((i * c + g * cg) * inPlane, cg * inPlane);
                        var gy = dy.AsReadOnlySpan<float>().Slice((i * m + g * mg) * p, mg * p);
                        var target = acc.AsSpan(g * mg * k, mg * k);
                        if (channelsLast)
                        {
                            ConvGrad2D.ExpandTransposed(xs, s, scratch, col);
                            gemm.Gemm(false, false, mg, k, p, 1f, gy, p, col, k, 1f, target, k, default, threads);
                            continue;
                        }
                        if (col is not null) ConvGrad2D.Expand(xs, s, col);
                        gemm.Gemm(false, true, mg, k, p, 1f, gy, p, col is null ? xs : col, p, 1f, target, k, default, threads);
                    }
            }
            finally
            {
                if (col is not null) ArrayPool<float>.Shared.Return(col);
                if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
            }
            partials[part] = acc;
        });
        var sum = channelsLast ? partials[0] : (float[])dw.Data;
        for (int part = 1; part < parts; part++) TP.Add(sum, partials[part], sum);
        if (!channelsLast) return;
        // dW'[o, t·C/g + ci] → dW[o, ci·taps + t]
        var d = dw.AsSpan<float>();
        for (int o = 0; o < m; o++)
            for (int t = 0; t < taps; t++)
                for (int ci = 0; ci < cg; ci++) d[o * k + ci * taps + t] = sum[o * k + t * cg + ci];
    }

    /// <summary>Depthwise: channels split across threads (each owns its input channels and their output channels),
    /// every image per channel range, dx and dw accumulated in place.</summary>
    private static void Depthwise(Tensor x, Tensor w, Tensor dy, WindowSpec spec, int groups, Tensor? dx, Tensor? dw)
    {
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0], multiplier = m / groups;
        var shape = spec.To2D(c);
        int plane = shape.N, inPlane = shape.Height * shape.Width;
        Parallelism.ForRange(c, Math.Max(1, 16384 / Math.Max(1, n * plane * multiplier)), (c0, c1) =>
        {
            for (int i = 0; i < n; i++)
                DepthwiseConv2DGrad.Run(x.AsReadOnlySpan<float>().Slice(i * c * inPlane, c * inPlane), w.AsReadOnlySpan<float>(),
                    dy.AsReadOnlySpan<float>().Slice(i * m * plane, m * plane), shape, multiplier,
                    dx is null ? default : dx.AsSpan<float>().Slice(i * c * inPlane, c * inPlane),
                    dw is null ? default : dw.AsSpan<float>(), c0 * multiplier, c1 * multiplier);
        });
    }

    /// <summary>3-D and higher: explicit N-D im2col per image and group, one image at a time (threads in the GEMMs).</summary>
    private static void NdBackward(Tensor x, Tensor w, Tensor dy, WindowSpec spec, int groups, Tensor? dx, Tensor? dw)
    {
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0], cg = c / groups, mg = m / groups;
        int k = cg * spec.KernelSize, p = spec.OutputSize, inPlane = spec.InputSize;
        var gemm = GemmF32.Kernel;
        var col = new float[k * p];
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++)
            {
                var g0 = dy.AsReadOnlySpan<float>().Slice((i * m + g * mg) * p, mg * p);
                var ws = w.AsReadOnlySpan<float>().Slice(g * mg * k, mg * k);
                if (dw is not null)
                {
                    Im2Col.Expand(x.AsReadOnlySpan<float>().Slice((i * c + g * cg) * inPlane, cg * inPlane), cg, spec.Input, spec.Kernel,
                        spec.Strides, spec.PadBegin, spec.Dilations, spec.Output, col);
                    gemm.Gemm(false, true, mg, k, p, 1f, g0, p, col, p, 1f, dw.AsSpan<float>().Slice(g * mg * k, mg * k), k);
                }
                if (dx is not null)
                {
                    gemm.Gemm(true, false, k, p, mg, 1f, ws, k, g0, p, 0f, col, p);
                    Im2Col.Accumulate(col, cg, spec.Input, spec.Kernel, spec.Strides, spec.PadBegin, spec.Dilations, spec.Output,
                        dx.AsSpan<float>().Slice((i * c + g * cg) * inPlane, cg * inPlane));
                }
            }
    }

}
