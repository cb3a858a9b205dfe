using LowBit.Formats;

namespace LowBit.Quantization;

/// <summary>
/// Affine (uniform) quantization r = s·(q − z): choosing (s, z) from a real range, and quantize / dequantize /
/// fake-quantize with ONNX QuantizeLinear/DequantizeLinear semantics (Affine.Quantize.cs).
/// <para>Choice of parameters for a range [min, max] and an integer grid [qmin, qmax]:</para>
/// <list type="bullet">
/// <item>symmetric: z = ⌊(qmin + qmax + 1)/2⌋ (0 signed, 2^(b−1) unsigned), s = max(max(−min, 0)/(z − qmin),
/// max(max, 0)/(qmax − z)): the smallest scale that puts both ends on the grid without clipping. A full signed grid is
/// one step longer on the negative side, so a range led by its minimum uses that level (int4: −a ↦ −8), and a range led
/// by its maximum ends exactly on qmax. (PyTorch and ONNX Runtime take s = a/((qmax − qmin)/2), which maps +a to
/// qmax + ½ and clips it by s/2: negligible at 8 bits, but at 4 bits it shrinks every group's positive maximum by 1/15,
/// a bias that measured 5 dB of extra output error on a conv whose groups hold one or three weights.) Narrow grids map
/// ±a exactly to ±qmax.</item>
/// <item>asymmetric: lo = min(min, 0), hi = max(max, 0), s = (hi − lo)/(qmax − qmin), z = qmin − round(lo/s), clamped to
/// [qmin, qmax]. Including 0 in the range makes r = 0 exact (it is q = z).</item>
/// <item>grids without an integer range (float formats) take z = 0 and s = a / max|grid|; they have no asymmetric form.</item>
/// </list>
/// A zero-width range (all-zero or empty tensor) gets s = 1; scales are floored at the smallest normal float, so s &gt; 0
/// always holds and x/s never overflows for x in range; they are capped so s·(q − z) stays finite at both grid ends.
/// </summary>
internal static partial class Affine
{
    /// <summary>Smallest scale produced (float32's smallest normal number).</summary>
    public const float MinScale = 1.17549435e-38f;

    /// <summary>(s, z) for one range.</summary>
    public static (float Scale, int ZeroPoint) ChooseOne(INumberFormat format, QuantScheme scheme, double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || double.IsInfinity(min) || double.IsInfinity(max))
            throw new ArgumentException($"range [{min}, {max}] is not finite");
        if (min > max) throw new ArgumentException($"range [{min}, {max}] has min > max");
        if (format.IntegerRange is not { } q)
        {
            if (scheme == QuantScheme.Asymmetric)
                throw new ArgumentException($"{format.Name} has no zero point: use the symmetric scheme");
            var grid = format.Grid;
            double gmax = Math.Max(Math.Abs(grid[0]), Math.Abs(grid[^1]));
            return (ToScale(Math.Max(Math.Abs(min), Math.Abs(max)) / gmax), 0);
        }
        float s;
        int z;
        if (scheme == QuantScheme.Symmetric)
        {
            z = (q.Min + q.Max + 1) / 2;
            s = ToScale(Math.Max(Math.Max(-min, 0) / (z - q.Min), Math.Max(max, 0) / (q.Max - z)));
        }
        else
        {
            double lo = Math.Min(min, 0), hi = Math.Max(max, 0);
            s = ToScale((hi - lo) / (q.Max - q.Min));
            z = (int)Math.Clamp(q.Min - Math.Round(lo / s, MidpointRounding.ToEven), q.Min, q.Max);
        }
        // Ranges near ±float.MaxValue: keep s·(q − z) finite at both grid ends (z stays valid, 0 stays exact).
        return (Math.Min(s, (float)(float.MaxValue / (Math.Max(q.Max - z, z - q.Min) * (1 + 1e-6)))), z);
    }

    private static float ToScale(double s)
    {
        if (!(s > 0)) return 1f;  // zero-width range: any scale represents it exactly
        return Math.Max((float)s, MinScale);
    }

    /// <summary>Per-tensor parameters for [min, max].</summary>
    public static QuantParams Choose(INumberFormat format, QuantScheme scheme, double min, double max)
    {
        var (s, z) = ChooseOne(format, scheme, min, max);
        return QuantParams.Scalar(format, s, z);
    }

    /// <summary>Parameters from one range per parameter slot (row-major in <paramref name="scaleShape"/>, see
    /// <see cref="QuantParams.ScaleShapeFor"/>).</summary>
    public static QuantParams Choose(INumberFormat format, QuantScheme scheme, Granularity granularity, int[] scaleShape,
        ReadOnlySpan<float> mins, ReadOnlySpan<float> maxs)
    {
        if (mins.Length != maxs.Length) throw new ArgumentException($"{mins.Length} minima for {maxs.Length} maxima");
        var scales = new float[mins.Length];
        var zeros = new int[mins.Length];
        for (int i = 0; i < scales.Length; i++) (scales[i], zeros[i]) = ChooseOne(format, scheme, mins[i], maxs[i]);
        return new QuantParams(format, granularity, scales, zeros, scaleShape);
    }

    /// <summary>Parameters from the exact min/max of each parameter slot of <paramref name="x"/> (weights).</summary>
    public static QuantParams ChooseFromData(ReadOnlySpan<float> x, int[] shape, INumberFormat format, QuantScheme scheme, Granularity granularity)
    {
        var (mins, maxs) = Observers.WeightRanges.MinMax(x, shape, granularity);
        return Choose(format, scheme, granularity, QuantParams.ScaleShapeFor(shape, granularity), mins, maxs);
    }
}
