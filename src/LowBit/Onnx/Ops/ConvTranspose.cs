using System.Buffers;
using LowBit.Kernels;
using LowBit.Kernels.Conv;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// ConvTranspose as GEMM + col2im: per image and group, col[(M/g)·∏k, ∏in] = W_gᵀ · X_g with W_g the group's
/// [C/g, (M/g)·∏k] weight rows, then each col entry is added at output position i·stride − padBegin + k·dilation.
/// </summary>
internal static class ConvTransposeOps
{
    [Op("ConvTranspose", 1)]
    public static Tensor ConvTranspose(Tensor x, Tensor w, Tensor? b = null, string auto_pad = "NOTSET", long[]? dilations = null,
        long group = 1, long[]? kernel_shape = null, long[]? output_padding = null, long[]? output_shape = null, long[]? pads = null,
        long[]? strides = null)
    {
        if (x.Rank < 3) throw new ArgumentException($"ConvTranspose input must have rank ≥ 3, got {x.ShapeString}");
        if (w.Rank != x.Rank) throw new ArgumentException($"ConvTranspose weight rank {w.Rank} differs from input rank {x.Rank}");
        int c = x.Shape[1];
        if (group < 1 || c % group != 0) throw new ArgumentException($"group {group} must divide input channels {c}");
        if (w.Shape[0] != c) throw new ArgumentException($"weight has {w.Shape[0]} input channels, input has {c}");
        int groups = (int)group, m = w.Shape[1] * groups;
        if (b is not null && (b.Rank != 1 || b.Shape[0] != m)) throw new ArgumentException($"bias must be [{m}], got {b.ShapeString}");
        var kernel = w.Shape[2..];
        if (kernel_shape is not null && !kernel_shape.Select(k => (int)k).SequenceEqual(kernel))
            throw new ArgumentException($"kernel_shape [{string.Join(",", kernel_shape)}] differs from the weight's [{string.Join(",", kernel)}]");
        var spec = WindowSpec.Transposed(x.Shape[2..], kernel, auto_pad, dilations, pads, strides, output_padding, output_shape);
        if (x.DType != DType.Float32)
        {
            if (!x.DType.IsFloat()) throw new ArgumentException($"ConvTranspose does not take {x.DType.Name()}");
            var fy = Run(Elementwise.ToFloat32(x), Elementwise.ToFloat32(w), b is null ? null : Elementwise.ToFloat32(b), spec, groups, m);
            return Elementwise.FromFloat32(fy, x.DType);
        }
        return Run(x, w, b, spec, groups, m);
    }

    private static Tensor Run(Tensor x, Tensor w, Tensor? b, WindowSpec spec, int groups, int m)
    {
        int n = x.Shape[0], c = x.Shape[1], cg = c / groups, mg = m / groups;
        // The output is the "image" of the adjoint im2col and the input is its grid of window positions.
        int inPlane = spec.InputSize, outPlane = spec.OutputSize, kk = spec.KernelSize, rows = mg * kk;
        var y = Tensor.Empty(DType.Float32, [n, m, .. spec.Output]);
        if (y.Length == 0) return y;
        int tasks = n * groups, degree = Parallelism.Degree;
        bool perTask = degree > 1 && tasks >= degree;
        Parallelism.For(perTask ? tasks : 1, t =>
        {
            var col = ArrayPool<float>.Shared.Rent(Math.Max(1, rows * inPlane));
            try
            {
                int t0 = perTask ? t : 0, t1 = perTask ? t + 1 : tasks;
                for (int task = t0; task < t1; task++)
                {
                    int image = task / groups, g = task % groups;
                    var xs = x.AsReadOnlySpan<float>().Slice((image * c + g * cg) * inPlane, cg * inPlane);
                    var ws = w.AsReadOnlySpan<float>().Slice(g * cg * rows, cg * rows);
                    var ys = y.AsSpan<float>().Slice((image * m + g * mg) * outPlane, mg * outPlane);
                    GemmF32.Kernel.Gemm(true, false, rows, inPlane, cg, 1f, ws, rows, xs, inPlane, 0f, col, inPlane, default, perTask ? 1 : degree);
                    ys.Clear();
                    Im2Col.Accumulate(col, mg, spec.Output, spec.Kernel, spec.Strides, spec.PadBegin, spec.Dilations, spec.Input, ys);
                    if (b is not null)
                        for (int j = 0; j < mg; j++)
                        {
                            float bias = b.AsReadOnlySpan<float>()[g * mg + j];
                            foreach (ref float v in ys.Slice(j * outPlane, outPlane)) v += bias;
                        }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
            }
        });
        return y;
    }
}
