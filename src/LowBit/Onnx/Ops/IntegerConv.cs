using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Kernels;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Geometry of an N-D convolution (1 to 3 spatial dims, viewed as D×H×W with missing leading dims of size 1):
/// <c>out = ⌊(in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride⌋ + 1</c> per spatial dim.
/// </summary>
internal sealed class ConvGeometry
{
    public int N, C, M, Group, SpatialRank;
    public int[] In = new int[3], Kernel = new int[3], Out = new int[3], Stride = new int[3], Dilation = new int[3], PadBegin = new int[3];
    public int[] OutShape = [];
    public int InSize => In[0] * In[1] * In[2];
    public int OutSize => Out[0] * Out[1] * Out[2];
    public int KernelSize => Kernel[0] * Kernel[1] * Kernel[2];
    public int CPerGroup => C / Group;

    public static ConvGeometry Resolve(int[] x, int[] w, string autoPad, long[]? dilations, long group, long[]? kernelShape, long[]? pads, long[]? strides)
    {
        int r = x.Length - 2;
        if (r < 1 || r > 3) throw new ArgumentException($"convolution needs a 3-D to 5-D input, got rank {x.Length}");
        if (w.Length != x.Length) throw new ArgumentException($"weight rank {w.Length} differs from input rank {x.Length}");
        if (group < 1 || x[1] % group != 0 || w[0] % group != 0)
            throw new ArgumentException($"group {group} must divide input channels {x[1]} and output channels {w[0]}");
        if (w[1] * group != x[1]) throw new ArgumentException($"weight has {w[1]} input channels per group, input has {x[1]} channels in {group} groups");
        var g = new ConvGeometry { N = x[0], C = x[1], M = w[0], Group = (int)group, SpatialRank = r };
        if (kernelShape is not null && (kernelShape.Length != r || kernelShape.Where((k, i) => k != w[2 + i]).Any()))
            throw new ArgumentException($"kernel_shape [{string.Join(",", kernelShape)}] differs from the weight's spatial dims");
        if (pads is not null && pads.Length != 2 * r) throw new ArgumentException($"pads needs {2 * r} values, got {pads.Length}");
        Check(dilations, r, "dilations");
        Check(strides, r, "strides");
        var outShape = new int[x.Length];
        outShape[0] = g.N;
        outShape[1] = g.M;
        for (int d = 0; d < 3; d++)
        {
            int s = d - (3 - r);
            if (s < 0) { g.In[d] = g.Kernel[d] = g.Out[d] = g.Stride[d] = g.Dilation[d] = 1; continue; }
            int input = x[2 + s], k = w[2 + s];
            int stride = (int)(strides?[s] ?? 1), dil = (int)(dilations?[s] ?? 1);
            int extent = dil * (k - 1) + 1;
            int pb, pe;
            switch (autoPad)
            {
                case "NOTSET" or "":
                    pb = (int)(pads?[s] ?? 0);
                    pe = (int)(pads?[s + r] ?? 0);
                    break;
                case "VALID":
                    pb = pe = 0;
                    break;
                case "SAME_UPPER" or "SAME_LOWER":
                    {
                        int o = (input + stride - 1) / stride;
                        int total = Math.Max(0, (o - 1) * stride + extent - input);
                        pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                        pe = total - pb;
                        break;
                    }
                default: throw new ArgumentException($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
            }
            if (pb < 0 || pe < 0) throw new ArgumentException("pads must be non-negative");
            int outDim = (input + pb + pe - extent) / stride + 1;
            if (input + pb + pe < extent) outDim = 0;
            g.In[d] = input; g.Kernel[d] = k; g.Stride[d] = stride; g.Dilation[d] = dil; g.PadBegin[d] = pb; g.Out[d] = outDim;
            outShape[2 + s] = outDim;
        }
        g.OutShape = outShape;
        return g;
    }

    private static void Check(long[]? v, int r, string name)
    {
        if (v is null) return;
        if (v.Length != r) throw new ArgumentException($"{name} needs {r} values, got {v.Length}");
        if (v.Any(e => e < 1 || e > int.MaxValue)) throw new ArgumentException($"{name} must be positive");
    }
}

/// <summary>
/// Integer convolution reference: <c>acc[n,m,p] = Σ_{c∈group(m), k} x[n,c,p·s − pad + k·dil] · w[m,c,k]</c> in int32
/// (wrapping, as the spec allows), where x and w are already centered (x − x_zp, w − w_zp) so padding contributes 0.
/// Per (n, group), x is unfolded once (im2col) into rows r = (c, kd, kh, kw) of OutSize columns; then each output
/// plane is <c>acc = Σ_r w[m, r] · col[r, :]</c>, one contiguous multiply-add of OutSize ints per weight, which
/// vectorizes whatever the stride or width. Parallel over output channels (or over (n, group) when there are many
/// groups, e.g. depthwise).
/// </summary>
internal static class IntegerConv
{
    /// <summary>Runs <paramref name="emit"/>(n, m, acc) once per output plane; acc has <see cref="ConvGeometry.OutSize"/>
    /// entries and is reused after emit returns. Calls for different planes may run concurrently.</summary>
    public static void Run(ConvGeometry g, int[] x, int[] w, Action<int, int, int[]> emit)
    {
        int tasks = g.N * g.Group;
        if (tasks >= Parallelism.Degree)
            Parallelism.For(tasks, t => RunGroup(g, x, w, t / g.Group, t % g.Group, emit, parallel: false));
        else
            for (int t = 0; t < tasks; t++) RunGroup(g, x, w, t / g.Group, t % g.Group, emit, parallel: true);
    }

    private static void RunGroup(ConvGeometry g, int[] x, int[] w, int n, int grp, Action<int, int, int[]> emit, bool parallel)
    {
        int rows = g.CPerGroup * g.KernelSize, outSize = g.OutSize, mpg = g.M / g.Group;
        var col = new int[(long)rows * outSize];
        Unfold(g, x, n, grp, col);
        void Planes(int start, int end)
        {
            var acc = new int[outSize];
            for (int m = grp * mpg + start; m < grp * mpg + end; m++)
            {
                Array.Clear(acc);
                int wRow = m * rows;
                for (int r = 0; r < rows; r++)
                {
                    int wv = w[wRow + r];
                    if (wv != 0) TensorPrimitives.MultiplyAdd(col.AsSpan(r * outSize, outSize), wv, acc, acc);
                }
                emit(n, m, acc);
            }
        }
        if (parallel) Parallelism.ForRange(mpg, 1, Planes);
        else Planes(0, mpg);
    }

    /// <summary>col[(c·K + k)·OutSize + p] = x[n, grp·C/G + c, p·s − pad + k·dil], 0 where that falls in the padding.</summary>
    private static void Unfold(ConvGeometry g, int[] x, int n, int grp, int[] col)
    {
        int outSize = g.OutSize, ow = g.Out[2], sw = g.Stride[2];
        for (int c = 0, r = 0; c < g.CPerGroup; c++)
        {
            int xBase = (n * g.C + grp * g.CPerGroup + c) * g.InSize;
            for (int kd = 0; kd < g.Kernel[0]; kd++)
                for (int kh = 0; kh < g.Kernel[1]; kh++)
                    for (int kw = 0; kw < g.Kernel[2]; kw++, r++)
                    {
                        int offW = kw * g.Dilation[2] - g.PadBegin[2];
                        // Valid ow: 0 ≤ ow·sw + offW < In[2].
                        int owStart = Math.Min(ow, offW >= 0 ? 0 : (-offW + sw - 1) / sw);
                        int owEnd = g.In[2] - offW <= 0 ? 0 : Math.Min(ow, (g.In[2] - offW - 1) / sw + 1);
                        var dst = col.AsSpan(r * outSize, outSize);
                        for (int od = 0; od < g.Out[0]; od++)
                        {
                            int id = od * g.Stride[0] + kd * g.Dilation[0] - g.PadBegin[0];
                            for (int oh = 0; oh < g.Out[1]; oh++)
                            {
                                int ih = oh * g.Stride[1] + kh * g.Dilation[1] - g.PadBegin[1];
                                var row = dst.Slice((od * g.Out[1] + oh) * ow, ow);
                                if ((uint)id >= (uint)g.In[0] || (uint)ih >= (uint)g.In[1] || owStart >= owEnd)
                                {
                                    row.Clear();
                                    continue;
                                }
                                row[..owStart].Clear();
                                row[owEnd..].Clear();
                                int xRow = xBase + (id * g.In[1] + ih) * g.In[2] + offW;
                                if (sw == 1) x.AsSpan(xRow + owStart, owEnd - owStart).CopyTo(row[owStart..owEnd]);
                                else for (int o = owStart; o < owEnd; o++) row[o] = x[xRow + o * sw];
                            }
                        }
                    }
        }
    }
}
