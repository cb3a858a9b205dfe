using LowBit.Formats;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// The values element i of a weight matrix may take: r = s_i·(g − z_i), g a grid value of the format (the integers
/// [qmin, qmax] for integer formats). Solvers work in real values; <see cref="Nearest"/> is exactly what ONNX
/// QuantizeLinear→DequantizeLinear computes (x/s as a float division, ties to even, saturation), so a matrix of grid values
/// written back into the graph quantizes to the same codes again.
/// </summary>
internal sealed class ElementGrid
{
    private readonly float[] grid;
    private readonly int qmin, qmax;
    private readonly bool integer;

    public INumberFormat Format { get; }
    /// <summary>Per-element scale s_i.</summary>
    public float[] Scales { get; }
    /// <summary>Per-element zero point z_i.</summary>
    public int[] Zeros { get; }
    public int Count => Scales.Length;

    public ElementGrid(INumberFormat format, float[] scales, int[] zeros)
    {
        if (scales.Length != zeros.Length) throw new ArgumentException("one zero point per scale");
        Format = format; Scales = scales; Zeros = zeros;
        grid = format.Grid.ToArray();
        if (format.IntegerRange is { } r) { integer = true; qmin = r.Min; qmax = r.Max; }
        else { qmin = 0; qmax = grid.Length - 1; }
    }

    /// <summary>Lowest and highest grid value in code space (before the zero point shift).</summary>
    public float GridMin => grid[0];
    public float GridMax => grid[^1];

    /// <summary>Round to nearest (ties to even), saturating: dequantize(quantize(v)).</summary>
    public float Nearest(int i, float v)
    {
        float s = Scales[i];
        float t = v / s;
        if (float.IsNaN(t)) return 0;
        if (integer)
        {
            float q = Math.Clamp(MathF.Round(t, MidpointRounding.ToEven) + Zeros[i], qmin, qmax);
            return (q - Zeros[i]) * s;
        }
        var (lo, hi) = Bracket(t);
        return (t - lo <= hi - t ? lo : hi) * s;
    }

    /// <summary>The grid values just below and just above v (equal at or beyond the grid's ends): AdaRound's ⌊·⌋ and ⌈·⌉.</summary>
    public (float Down, float Up) Neighbours(int i, float v)
    {
        float s = Scales[i];
        float t = v / s;
        if (integer)
        {
            float z = Zeros[i];
            float lo = Math.Clamp(MathF.Floor(t) + z, qmin, qmax), hi = Math.Clamp(MathF.Ceiling(t) + z, qmin, qmax);
            return ((lo - z) * s, (hi - z) * s);
        }
        var (a, b) = Bracket(t);
        return (a * s, b * s);
    }

    /// <summary>The real values of the two ends of element i's grid.</summary>
    public (float Min, float Max) Range(int i)
    {
        float s = Scales[i];
        return integer ? ((qmin - Zeros[i]) * s, (qmax - Zeros[i]) * s) : (grid[0] * s, grid[^1] * s);
    }

    /// <summary>Round-to-nearest of a whole matrix.</summary>
    public float[] NearestAll(ReadOnlySpan<float> w)
    {
        var r = new float[w.Length];
        for (int i = 0; i < w.Length; i++) r[i] = Nearest(i, w[i]);
        return r;
    }

    private (float Lo, float Hi) Bracket(float t)
    {
        int j = Array.BinarySearch(grid, t);
        if (j >= 0) return (grid[j], grid[j]);
        j = ~j;
        if (j == 0) return (grid[0], grid[0]);
        if (j == grid.Length) return (grid[^1], grid[^1]);
        return (grid[j - 1], grid[j]);
    }
}
