namespace LowBit.Kernels.Pool;

/// <summary>
/// N-D pooling window geometry over the spatial dims of one plane: output o in dim d covers input positions
/// <c>o·Strides[d] − PadBegin[d] + k·Dilations[d]</c>, k ∈ [0, Kernel[d]). Positions outside [0, Input[d]) are padding.
/// </summary>
public sealed class PoolShape
{
    public int[] Input { get; }
    public int[] Output { get; }
    public int[] Kernel { get; }
    public int[] Strides { get; }
    public int[] PadBegin { get; }
    public int[] PadEnd { get; }
    public int[] Dilations { get; }
    public int Rank => Input.Length;
    public int InputSize { get; }
    public int OutputSize { get; }

    /// <summary>Per dim, per output coordinate: the valid kernel offsets [Lo, Hi) (inside the input).</summary>
    internal (int Lo, int Hi)[][] Valid { get; }
    /// <summary>Per dim, per output coordinate: kernel offsets inside input + padding (count_include_pad divisor).</summary>
    internal int[][] Padded { get; }

    public PoolShape(int[] input, int[] output, int[] kernel, int[] strides, int[] padBegin, int[] padEnd, int[] dilations)
    {
        int r = input.Length;
        if (output.Length != r || kernel.Length != r || strides.Length != r || padBegin.Length != r || padEnd.Length != r || dilations.Length != r)
            throw new ArgumentException("pooling geometry arrays must have one entry per spatial dim");
        Input = input; Output = output; Kernel = kernel; Strides = strides; PadBegin = padBegin; PadEnd = padEnd; Dilations = dilations;
        InputSize = input.Aggregate(1, (a, b) => a * b);
        OutputSize = output.Aggregate(1, (a, b) => a * b);
        Valid = new (int, int)[r][];
        Padded = new int[r][];
        for (int d = 0; d < r; d++)
        {
            if (kernel[d] < 1 || strides[d] < 1 || dilations[d] < 1) throw new ArgumentException("kernel, strides and dilations must be positive");
            Valid[d] = new (int, int)[output[d]];
            Padded[d] = new int[output[d]];
            for (int o = 0; o < output[d]; o++)
            {
                int start = o * strides[d] - padBegin[d], dil = dilations[d];
                Valid[d][o] = Range(start, dil, kernel[d], 0, input[d]);
                var (plo, phi) = Range(start, dil, kernel[d], -padBegin[d], input[d] + padEnd[d]);
                Padded[d][o] = phi - plo;
            }
        }
    }

    /// <summary>Kernel offsets k ∈ [0, kernel) with lo ≤ start + k·dil &lt; hi.</summary>
    private static (int, int) Range(int start, int dil, int kernel, int lo, int hi)
    {
        int kLo = start >= lo ? 0 : (lo - start + dil - 1) / dil;
        int kHi = start >= hi ? 0 : Math.Min(kernel, (hi - start + dil - 1) / dil);
        return (Math.Min(kLo, kernel), Math.Max(kHi, Math.Min(kLo, kernel)));
    }
}
