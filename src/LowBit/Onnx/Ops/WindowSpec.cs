using LowBit.Kernels.Conv;
using LowBit.Kernels.Pool;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Resolved sliding-window geometry of Conv, ConvTranspose and the pools over N spatial dims (attributes already
/// defaulted): window start in dim d is o·Strides[d] − PadBegin[d], tap k reads start + k·Dilations[d], and the
/// window spans extent = Dilations·(Kernel − 1) + 1 input positions.
/// </summary>
internal sealed class WindowSpec
{
    public int Rank => Input.Length;
    public int[] Input = [], Output = [], Kernel = [], Strides = [], Dilations = [], PadBegin = [], PadEnd = [];

    public int Extent(int d) => Dilations[d] * (Kernel[d] - 1) + 1;
    public int OutputSize => Output.Aggregate(1, (a, b) => checked(a * b));
    public int InputSize => Input.Aggregate(1, (a, b) => checked(a * b));
    public int KernelSize => Kernel.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>
    /// Conv / pool geometry. Output per dim: NOTSET ⌊(in + pads − extent)/stride⌋ + 1 (⌈·⌉ with ceil_mode, dropping a
    /// last window that would start in the end padding, as ONNX Runtime and PyTorch do); VALID the same with zero pads;
    /// SAME_UPPER/SAME_LOWER ⌈in/stride⌉ with total padding max(0, (out − 1)·stride + extent − in) split evenly, the odd
    /// element at the end (UPPER) or the beginning (LOWER).
    /// </summary>
    public static WindowSpec Forward(int[] input, int[] kernel, string autoPad, long[]? dilations, long[]? pads, long[]? strides, bool ceilMode = false)
    {
        int r = input.Length;
        var s = Common(input, kernel, dilations, strides);
        if (pads is not null && pads.Length != 2 * r) throw new ArgumentException($"pads needs {2 * r} values, got {pads.Length}");
        s.Output = new int[r];
        for (int d = 0; d < r; d++)
        {
            int ext = s.Extent(d), st = s.Strides[d], inp = input[d];
            switch (NormalizeAutoPad(autoPad))
            {
                case "NOTSET":
                    s.PadBegin[d] = Pad(pads?[d]);
                    s.PadEnd[d] = Pad(pads?[d + r]);
                    s.Output[d] = OutSize(inp + s.PadBegin[d] + s.PadEnd[d], ext, st, ceilMode, inp + s.PadBegin[d]);
                    break;
                case "VALID":
                    s.Output[d] = OutSize(inp, ext, st, ceilMode, inp);
                    break;
                default:
                    {
                        int o = (inp + st - 1) / st;
                        int total = Math.Max(0, (o - 1) * st + ext - inp);
                        bool upper = NormalizeAutoPad(autoPad) == "SAME_UPPER";
                        s.PadBegin[d] = upper ? total / 2 : total - total / 2;
                        s.PadEnd[d] = total - s.PadBegin[d];
                        s.Output[d] = o;
                        break;
                    }
            }
        }
        return s;
    }

    /// <summary>
    /// ConvTranspose geometry. With output_shape, total padding = stride·(in − 1) + output_padding + extent − out is
    /// split with the odd element at the beginning for SAME_LOWER and at the end otherwise (as ONNX Runtime and the
    /// backend test test_convtranspose_autopad_same).
    /// Without it: SAME_* gives out = in·stride (same split); NOTSET/VALID gives
    /// out = stride·(in − 1) + output_padding + extent − padBegin − padEnd.
    /// </summary>
    public static WindowSpec Transposed(int[] input, int[] kernel, string autoPad, long[]? dilations, long[]? pads, long[]? strides,
        long[]? outputPadding, long[]? outputShape)
    {
        int r = input.Length;
        var s = Common(input, kernel, dilations, strides);
        if (pads is not null && pads.Length != 2 * r) throw new ArgumentException($"pads needs {2 * r} values, got {pads.Length}");
        if (outputPadding is not null && outputPadding.Length != r) throw new ArgumentException($"output_padding needs {r} values");
        if (outputShape is not null && outputShape.Length != r && outputShape.Length != r + 2)
            throw new ArgumentException($"output_shape needs {r} values, got {outputShape.Length}");
        string mode = NormalizeAutoPad(autoPad);
        s.Output = new int[r];
        for (int d = 0; d < r; d++)
        {
            int st = s.Strides[d], adj = Pad(outputPadding?[d]);
            int full = st * (input[d] - 1) + adj + s.Extent(d);
            long? wanted = outputShape?[outputShape.Length - r + d];
            if (wanted is null && mode is "SAME_UPPER" or "SAME_LOWER") wanted = (long)input[d] * st;
            if (wanted is long w)
            {
                if (w < 0 || w > int.MaxValue) throw new ArgumentException($"output_shape {w} is out of range");
                int total = Math.Max(0, full - (int)w);
                s.PadBegin[d] = mode == "SAME_LOWER" ? total - total / 2 : total / 2;
                s.PadEnd[d] = total - s.PadBegin[d];
                s.Output[d] = (int)w;
            }
            else
            {
                if (mode == "NOTSET")
                {
                    s.PadBegin[d] = Pad(pads?[d]);
                    s.PadEnd[d] = Pad(pads?[d + r]);
                }
                s.Output[d] = full - s.PadBegin[d] - s.PadEnd[d];
                if (s.Output[d] < 0) throw new ArgumentException("pads exceed the transposed convolution's output");
            }
        }
        return s;
    }

    public PoolShape ToPoolShape() => new(Input, Output, Kernel, Strides, PadBegin, PadEnd, Dilations);

    /// <summary>The 2-D (or 1-D as 1×W) kernel geometry of one group of one image.</summary>
    public Conv2DShape To2D(int channels)
    {
        if (Rank == 1)
            return new Conv2DShape(channels, 1, Input[0], 1, Kernel[0], 1, Strides[0], 0, PadBegin[0], 1, Dilations[0], 1, Output[0]);
        if (Rank != 2) throw new InvalidOperationException("not a 1-D/2-D window");
        return new Conv2DShape(channels, Input[0], Input[1], Kernel[0], Kernel[1], Strides[0], Strides[1], PadBegin[0], PadBegin[1],
            Dilations[0], Dilations[1], Output[0], Output[1]);
    }

    private static WindowSpec Common(int[] input, int[] kernel, long[]? dilations, long[]? strides)
    {
        int r = input.Length;
        if (r < 1) throw new ArgumentException("a sliding window needs at least one spatial dim");
        if (kernel.Length != r) throw new ArgumentException($"kernel has {kernel.Length} dims, input has {r} spatial dims");
        if (kernel.Any(k => k < 1)) throw new ArgumentException("kernel dims must be positive");
        return new WindowSpec
        {
            Input = input, Kernel = kernel,
            Strides = Positive(strides, r, "strides"), Dilations = Positive(dilations, r, "dilations"),
            PadBegin = new int[r], PadEnd = new int[r],
        };
    }

    private static int OutSize(int span, int ext, int stride, bool ceil, int lastStartLimit)
    {
        if (span < ext) return 0;
        int o = (span - ext) / stride + 1;
        // Ceil mode adds a partial last window only if it starts inside the input or begin padding.
        if (ceil && (span - ext) % stride != 0 && (o * stride) < lastStartLimit) o++;
        return o;
    }

    private static int Pad(long? v) =>
        v is null ? 0 : v < 0 || v > int.MaxValue ? throw new ArgumentException($"padding {v} must be non-negative") : (int)v;

    private static int[] Positive(long[]? v, int r, string name)
    {
        if (v is null || v.Length == 0) return Enumerable.Repeat(1, r).ToArray();
        if (v.Length != r) throw new ArgumentException($"{name} needs {r} values, got {v.Length}");
        if (v.Any(e => e < 1 || e > int.MaxValue)) throw new ArgumentException($"{name} must be positive");
        return v.Select(e => (int)e).ToArray();
    }

    private static string NormalizeAutoPad(string autoPad) => autoPad switch
    {
        "" or "NOTSET" => "NOTSET",
        "VALID" or "SAME_UPPER" or "SAME_LOWER" => autoPad,
        _ => throw new ArgumentException($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
    };
}
