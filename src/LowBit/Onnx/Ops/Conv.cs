using System.Buffers;
using LowBit.Kernels;
using LowBit.Kernels.Conv;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>What a fused convolution/GEMM adds in its output pass (see <see cref="GemmEpilogue"/>), and the owner under
/// which its constant weights stay packed (null: pack per call; see <see cref="PackedWeights"/>).</summary>
internal readonly record struct Fusion(GemmActivation Activation, float ClipMin, float ClipMax, Tensor? Residual, object? WeightOwner)
{
    public static readonly Fusion None = new(GemmActivation.None, 0, 0, null, null);
}

/// <summary>Conv (1-D to 3-D, groups, dilations, strides, pads, auto_pad) on the SGEMM kernels.</summary>
internal static class ConvOps
{
    [Op("Conv", 1)]
    public static Tensor Conv(Tensor x, Tensor w, Tensor? b = null, string auto_pad = "NOTSET", long[]? dilations = null,
        long group = 1, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null) =>
        Run(x, w, b, auto_pad, dilations, group, kernel_shape, pads, strides, Fusion.None);

    internal static Tensor Run(Tensor x, Tensor w, Tensor? b, string autoPad, long[]? dilations, long group, long[]? kernelShape,
        long[]? pads, long[]? strides, Fusion fusion)
    {
        if (x.Rank < 3) throw new ArgumentException($"Conv input must have rank ≥ 3 (N, C, spatial…), got {x.ShapeString}");
        if (w.Rank != x.Rank) throw new ArgumentException($"Conv weight rank {w.Rank} differs from input rank {x.Rank}");
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0];
        if (group < 1 || c % group != 0 || m % group != 0)
            throw new ArgumentException($"group {group} must divide input channels {c} and output channels {m}");
        int groups = (int)group, cg = c / groups;
        if (w.Shape[1] != cg) throw new ArgumentException($"weight has {w.Shape[1]} input channels per group, expected {c}/{group} = {cg}");
        if (b is not null && (b.Rank != 1 || b.Shape[0] != m)) throw new ArgumentException($"bias must be [{m}], got {b.ShapeString}");
        var kernel = w.Shape[2..];
        if (kernelShape is not null && !kernelShape.Select(k => (int)k).SequenceEqual(kernel))
            throw new ArgumentException($"kernel_shape [{string.Join(",", kernelShape)}] differs from the weight's [{string.Join(",", kernel)}]");
        var spec = WindowSpec.Forward(x.Shape[2..], kernel, autoPad, dilations, pads, strides);
        if (x.DType != DType.Float32)
        {
            if (!x.DType.IsFloat()) throw new ArgumentException($"Conv does not take {x.DType.Name()}");
            var fy = Run(Elementwise.ToFloat32(x), Elementwise.ToFloat32(w), b is null ? null : Elementwise.ToFloat32(b), spec, groups,
                fusion with { WeightOwner = null, Residual = fusion.Residual is null ? null : Elementwise.ToFloat32(fusion.Residual) });
            return Elementwise.FromFloat32(fy, x.DType);
        }
        return Run(x, w, b, spec, groups, fusion);
    }

    /// <summary>Float32 convolution: depthwise directly, 1-D/2-D by implicit-im2col GEMM, N-D by explicit im2col.</summary>
    private static Tensor Run(Tensor x, Tensor w, Tensor? b, WindowSpec spec, int groups, Fusion fusion)
    {
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0], cg = c / groups, mg = m / groups;
        var y = Tensor.Empty(DType.Float32, [n, m, .. spec.Output]);
        int plane = spec.OutputSize, inPlane = spec.InputSize;
        if (y.Length == 0) return y;
        var residual = fusion.Residual;
        bool fuseResidual = residual is not null && residual.DType == DType.Float32 && residual.Shape.SequenceEqual(y.Shape);
        var tail = fuseResidual || residual is null ? fusion : fusion with { Activation = GemmActivation.None, Residual = null };

        if (cg == 1 && spec.Rank <= 2 && groups > 1)
            Depthwise(x, w, b, spec, groups, y, tail);
        else
        {
            bool transposed = spec.Rank <= 2 && GemmF32.Kernel.PrefersTransposedConv(mg, plane);
            var packed = PackedWeights.ConvGroups(w, groups, transposed, fusion.WeightOwner);
            int tasks = n * groups, degree = Parallelism.Degree;
            // Deep layers (more weights than one image's pixels): one GEMM per group over a run of images streams the
            // weights once per run. With at least two images per thread each thread takes its own run; otherwise the
            // threads share one GEMM over the whole batch (that scaled only 1.45–1.55× on 2 cores for ResNet18's deep
            // layers at batch 8, `resnet --profile`). Shallow layers run image by image, images spread over threads.
            if (n > 1 && spec.Rank <= 2 && !transposed && mg > plane)
            {
                ForImageRuns(n, 2, (i0, i1, threads) =>
                {
                    for (int g = 0; g < groups; g++) ConvBatch(x, b, spec, packed[g], g, cg, mg, y, tail, threads, i0, i1 - i0);
                });
                if (residual is not null && !fuseResidual) AddThenActivate(y, residual, fusion);
                return y;
            }
            bool perTask = degree > 1 && tasks >= degree;
            Parallelism.For(perTask ? tasks : 1, t =>
            {
                int t0 = perTask ? t : 0, t1 = perTask ? t + 1 : tasks;
                for (int task = t0; task < t1; task++)
                    ConvGroup(x, b, spec, packed, task / groups, task % groups, cg, mg, y, tail, perTask ? 1 : degree);
            });
        }
        if (residual is not null && !fuseResidual) AddThenActivate(y, residual, fusion);
        return y;
    }

    private static void ConvGroup(Tensor x, Tensor? b, WindowSpec spec, PackedMatrix[] packed, int image, int g, int cg, int mg,
        Tensor y, Fusion f, int threads)
    {
        int c = x.Shape[1], m = y.Shape[1], plane = spec.OutputSize, inPlane = spec.InputSize;
        var xs = x.AsReadOnlySpan<float>().Slice((image * c + g * cg) * inPlane, cg * inPlane);
        var ys = y.AsSpan<float>().Slice((image * m + g * mg) * plane, mg * plane);
        var ep = Epilogue(b, f, (image * m + g * mg) * plane, mg, plane, g * mg);
        var gemm = GemmF32.Kernel;
        if (spec.Rank <= 2)
        {
            gemm.Conv2D(packed[g], xs, spec.To2D(cg), ys, ep, threads);
            return;
        }
        int k = cg * spec.KernelSize;
        var col = ArrayPool<float>.Shared.Rent(k * plane);
        try
        {
            Im2Col.Expand(xs, cg, spec.Input, spec.Kernel, spec.Strides, spec.PadBegin, spec.Dilations, spec.Output, col);
            gemm.Gemm(packed[g], false, plane, col, plane, 1f, 0f, ys, plane, ep, threads);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>Splits n images into at most <see cref="Parallelism.Degree"/> contiguous runs of at least
    /// <paramref name="minPerRun"/> images; body(i0, i1, threads) gets the threads its GEMMs may use (all of them when
    /// there is one run, else 1).</summary>
    internal static void ForImageRuns(int n, int minPerRun, Action<int, int, int> body)
    {
        int parts = Math.Max(1, Math.Min(Parallelism.Degree, n / Math.Max(1, minPerRun)));
        int threads = parts == 1 ? Parallelism.Degree : 1;
        Parallelism.For(parts, part => body((int)((long)n * part / parts), (int)((long)n * (part + 1) / parts), threads));
    }

    /// <summary>Group <paramref name="g"/> of images [i0, i0 + count) as one GEMM over the batch (weights streamed once).</summary>
    private static void ConvBatch(Tensor x, Tensor? b, WindowSpec spec, PackedMatrix packed, int g, int cg, int mg, Tensor y, Fusion f, int threads,
        int i0, int count)
    {
        int c = x.Shape[1], m = y.Shape[1], plane = spec.OutputSize, inPlane = spec.InputSize;
        int outStart = (i0 * m + g * mg) * plane, outLength = (count - 1) * m * plane + mg * plane;
        var ep = new GemmEpilogue
        {
            RowBias = b is null ? default : b.AsReadOnlySpan<float>().Slice(g * mg, mg),
            Residual = f.Residual is null ? default : f.Residual.AsReadOnlySpan<float>().Slice(outStart, outLength),
            Activation = f.Activation,
            ClipMin = f.ClipMin,
            ClipMax = f.ClipMax,
        };
        GemmF32.Kernel.Conv2D(packed, x.AsReadOnlySpan<float>()[((i0 * c + g * cg) * inPlane)..], (long)c * inPlane, count, spec.To2D(cg),
            y.AsSpan<float>().Slice(outStart, outLength), (long)m * plane, ep, threads);
    }

    private static void Depthwise(Tensor x, Tensor w, Tensor? b, WindowSpec spec, int groups, Tensor y, Fusion f)
    {
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0], plane = spec.OutputSize, inPlane = spec.InputSize;
        var shape = spec.To2D(c);
        int multiplier = m / groups;
        // One unit = (image, output channel); split into contiguous ranges per thread.
        Parallelism.ForRange(n * m, Math.Max(1, 16384 / Math.Max(1, plane)), (u0, u1) =>
        {
            for (int u = u0; u < u1;)
            {
                int image = u / m, c0 = u % m, c1 = Math.Min(m, c0 + (u1 - u));
                var ep = Epilogue(b, f, image * m * plane, m, plane, 0);
                DepthwiseConv2D.Run(x.AsReadOnlySpan<float>().Slice(image * c * inPlane, c * inPlane), w.AsReadOnlySpan<float>(), shape,
                    multiplier, y.AsSpan<float>().Slice(image * m * plane, m * plane), c0, c1, ep);
                u += c1 - c0;
            }
        });
    }

    /// <summary>Epilogue for output rows [row0, row0 + rows) of one image: bias slice, residual slice at
    /// <paramref name="offset"/>, activation.</summary>
    private static GemmEpilogue Epilogue(Tensor? b, Fusion f, int offset, int rows, int plane, int row0) => new()
    {
        RowBias = b is null ? default : b.AsReadOnlySpan<float>().Slice(row0, rows),
        Residual = f.Residual is null ? default : f.Residual.AsReadOnlySpan<float>().Slice(offset, rows * plane),
        Activation = f.Activation,
        ClipMin = f.ClipMin,
        ClipMax = f.ClipMax,
    };

    /// <summary>y = act(y + residual) with numpy broadcasting of the residual (fallback when it is not y-shaped).</summary>
    internal static void AddThenActivate(Tensor y, Tensor residual, Fusion f)
    {
        var r = Elementwise.ToFloat32(residual);
        if (!Broadcast.Shape(r.Shape, y.Shape).SequenceEqual(y.Shape))
            throw new ArgumentException($"cannot add {r.ShapeString} to the output {y.ShapeString}");
        var map = Broadcast.SourceIndex(r.Shape, y.Shape);
        var ys = y.AsSpan<float>();
        var rs = r.AsReadOnlySpan<float>();
        var ep = new GemmEpilogue { Activation = f.Activation, ClipMin = f.ClipMin, ClipMax = f.ClipMax };
        for (int i = 0; i < ys.Length; i++) ys[i] = ep.Apply(ys[i] + rs[map[i]], 0, 0, 0);
    }
}
