using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>
/// What <c>lowbit run</c> reports per output. min/max/mean skip NaN (counted in <see cref="NanCount"/>); they are null
/// for empty and string tensors. <see cref="First"/> holds the first elements in storage order, as numbers (booleans as
/// true/false, strings as strings).
/// </summary>
internal sealed record TensorSummary(
    string Name, string Dtype, int[] Shape, double? Min, double? Max, double? Mean, long NanCount, object[] First, string? File)
{
    public const int FirstCount = 8;

    public static TensorSummary Of(string name, Tensor t, string? file = null)
    {
        int n = Math.Min(FirstCount, t.Length);
        var first = new object[n];
        for (int i = 0; i < n; i++) first[i] = Element(t, i);
        if (t.DType == DType.String || t.Length == 0)
            return new TensorSummary(name, t.DType.Name(), t.Shape, null, null, null, 0, first, file);
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        long nan = 0;
        if (t.DType == DType.Float32)
        {
            foreach (float f in t.AsReadOnlySpan<float>())
                Accumulate(f, ref min, ref max, ref sum, ref nan);
        }
        else
        {
            for (int i = 0; i < t.Length; i++) Accumulate(t.GetDouble(i), ref min, ref max, ref sum, ref nan);
        }
        long counted = t.Length - nan;
        return counted == 0
            ? new TensorSummary(name, t.DType.Name(), t.Shape, null, null, null, nan, first, file)
            : new TensorSummary(name, t.DType.Name(), t.Shape, Shortest(min, t.DType), Shortest(max, t.DType), sum / counted, nan, first, file);
    }

    private static void Accumulate(double v, ref double min, ref double max, ref double sum, ref long nan)
    {
        if (double.IsNaN(v)) { nan++; return; }
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
    }

    /// <summary>A value of a ≤32-bit float type as the double nearest its shortest float32 decimal form, so JSON shows
    /// 0.1 rather than 0.10000000149011612 (min and max are element values, hence exact in float32).</summary>
    private static double Shortest(double v, DType t) =>
        t.IsFloat() && t != DType.Float64 && double.IsFinite(v)
            ? double.Parse(((float)v).ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)
            : v;

    private static object Element(Tensor t, int i) => t.DType switch
    {
        DType.String => t.AsReadOnlySpan<string>()[i],
        DType.Bool => t.AsReadOnlySpan<bool>()[i],
        DType.UInt64 => t.AsReadOnlySpan<ulong>()[i],
        _ when t.DType.IsInteger() => t.GetInt64(i),
        _ => Shortest(t.GetDouble(i), t.DType),
    };
}
