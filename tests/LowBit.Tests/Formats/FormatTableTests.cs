using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tests.Quantization;

namespace LowBit.Tests.Formats;

/// <summary>
/// One parametrized suite over every registered format (DESIGN.md §3): a new table row is tested automatically.
/// Accuracy floors, with D = qmax − qmin steps spanning the min-max range (asymmetric scheme, so nothing is clipped):
/// <list type="bullet">
/// <item>uniform U(−1, 1): rounding noise is uniform on ±Δ/2 with Δ = 2/D, so RMSE = Δ/√12 and SQNR = 20·log10(D)
/// (≈ 6.02·bits for full ranges). Stratified data makes this exact up to O(1/n): RMSE ≤ 1.02·Δ/√12,
/// SQNR ≥ 20·log10(D) − 0.2 dB.</item>
/// <item>N(0, 1), 10⁵ samples (range ≈ ±4.3σ): max error ≤ Δ/2 always; the noise stays close to Δ²/12 even for coarse
/// grids (measured within 0.5 dB of it down to 3 steps), so SQNR ≈ 20·log10(D) − 20·log10(8.6/√12) ≈ 20·log10(D) − 8 dB:
/// floor 20·log10(D) − 9 dB (int8: 39.1 dB; int4: 14.5 dB) and RMSE ≤ 1.1·Δ/√12.</item>
/// </list>
/// </summary>
public class FormatTableTests
{
    public static TheoryData<string> AllFormats() => new(FormatTable.Names);
    /// <summary>Formats whose grid is the integers qmin..qmax (the uniform noise floors below assume it).</summary>
    public static TheoryData<string> IntegerFormats() => new(FormatTable.All.Where(f => f.IntegerRange is not null).Select(f => f.Name));
    /// <summary>Formats with an ONNX element type for their codes.</summary>
    public static TheoryData<string> OnnxStorableFormats() => new(FormatTable.All.Where(f => f.OnnxType is not null).Select(f => f.Name));

    /// <summary>Asymmetric where the format has zero points, else symmetric (the only scheme of non-integer grids).</summary>
    private static QuantScheme SchemeFor(INumberFormat f) => f.IntegerRange is null ? QuantScheme.Symmetric : QuantScheme.Asymmetric;

    private static QuantParams MinMaxParams(INumberFormat f, float[] x) => Affine.Choose(f, SchemeFor(f), x.Min(), x.Max());

    private static (double Rmse, double SqnrDb, double MaxErr) Errors(float[] x, float[] y)
    {
        double se = 0, sx = 0, maxErr = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = x[i] - y[i];
            se += e * e;
            sx += (double)x[i] * x[i];
            maxErr = Math.Max(maxErr, Math.Abs(e));
        }
        return (Math.Sqrt(se / x.Length), 10 * Math.Log10(sx / se), maxErr);
    }

    /// <summary>float32 slack on the Δ/2 bound: x/s and (q − z)·s each round once (relative 2⁻²⁴), which at 16 bits
    /// (|x/s| up to 2¹⁵) moves the rounding decision by up to ~0.004 steps; 4 ulps of the largest |x| cover it.</summary>
    private static double FloatSlack(float[] x) => 4 * Math.Pow(2, -23) * x.Max(MathF.Abs);

    [Theory, MemberData(nameof(AllFormats))]
    public void Quantize_GridValues_RoundTripExactly(string name)
    {
        var f = FormatTable.Get(name);
        var grid = f.Grid;
        var (qmin, qmax) = f.IntegerRange ?? (0, 0);
        int z = f.IntegerRange is null ? 0 : (qmin + qmax + 1) / 2;
        foreach (float s in new[] { 1f, 0.0123f, 3.7e-5f })
        {
            var p = QuantParams.Scalar(f, s, z);
            var real = grid.Select(g => (g - z) * s).ToArray();
            var codes = new int[real.Length];
            Affine.Quantize(real, [real.Length], p, codes);
            var back = new float[real.Length];
            Affine.Dequantize(codes, [real.Length], p, back);
            for (int i = 0; i < real.Length; i++)
            {
                Assert.True(f.Decode(codes[i]) == grid[i], $"{name}, s={s}: grid value {grid[i]} encoded to code {codes[i]}");
                Assert.True(back[i] == real[i], $"{name}, s={s}: {real[i]} came back as {back[i]}");
            }
        }
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void Grid_IsStrictlyAscendingAndMatchesIntegerRange(string name)
    {
        var f = FormatTable.Get(name);
        for (int i = 1; i < f.Grid.Count; i++) Assert.True(f.Grid[i] > f.Grid[i - 1], $"{name}: grid not ascending at {i}");
        if (f.IntegerRange is { } r)
        {
            Assert.Equal(r.Max - r.Min + 1, f.Grid.Count);
            Assert.Equal(r.Min, f.Grid[0]);
            Assert.Equal(r.Max, f.Grid[^1]);
        }
        Assert.Equal(f.IsSigned, f.Grid[0] < 0);
        Assert.True(Math.Log2(f.Grid.Count) <= f.BitsPerWeight + 1e-12, $"{name}: {f.Grid.Count} values do not fit {f.BitsPerWeight} bits");
    }

    [Theory, MemberData(nameof(IntegerFormats))]
    public void FakeQuantize_UniformData_MeetsNoiseFloor(string name)
    {
        var f = FormatTable.Get(name);
        var x = Distributions.StratifiedUniform(100_000, 1, -1, 1);
        var p = MinMaxParams(f, x);
        var (lo, hi) = f.IntegerRange!.Value;
        double steps = hi - lo, delta = 2 / steps;
        var y = new float[x.Length];
        Affine.FakeQuantize(x, [x.Length], p, y);
        var (rmse, sqnr, maxErr) = Errors(x, y);
        double floor = 20 * Math.Log10(steps) - 0.2;
        Assert.True(rmse <= 1.02 * delta / Math.Sqrt(12), $"{name}: RMSE {rmse:G4} > 1.02·Δ/√12 = {1.02 * delta / Math.Sqrt(12):G4}");
        Assert.True(sqnr >= floor, $"{name}: SQNR {sqnr:F2} dB < floor {floor:F2} dB");
        Assert.True(maxErr <= p.Scales[0] / 2 + FloatSlack(x), $"{name}: max error {maxErr:G4} > s/2 = {p.Scales[0] / 2:G4}");
    }

    [Theory, MemberData(nameof(IntegerFormats))]
    public void FakeQuantize_GaussianData_MeetsNoiseFloor(string name)
    {
        var f = FormatTable.Get(name);
        var x = Distributions.Normal(100_000, 2);
        var p = MinMaxParams(f, x);
        var (lo, hi) = f.IntegerRange!.Value;
        int steps = hi - lo;
        double delta = (x.Max() - x.Min()) / (double)steps;
        var y = new float[x.Length];
        Affine.FakeQuantize(x, [x.Length], p, y);
        var (rmse, sqnr, maxErr) = Errors(x, y);
        Assert.True(maxErr <= delta / 2 + FloatSlack(x), $"{name}: max error {maxErr:G4} > Δ/2 = {delta / 2:G4}");
        double floor = 20 * Math.Log10(steps) - 9;
        Assert.True(sqnr >= floor, $"{name}: SQNR {sqnr:F2} dB < floor {floor:F2} dB");
        Assert.True(rmse <= 1.1 * delta / Math.Sqrt(12), $"{name}: RMSE {rmse:G4} > 1.1·Δ/√12 = {1.1 * delta / Math.Sqrt(12):G4}");
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void FakeQuantize_GaussianData_ErrorWithinHalfLocalStep(string name)
    {
        // Any grid, uniform or not: with a min-max range nothing is clipped, so each value is off by at most half the
        // step between the two grid values around x/s + z, times s (plus the float slack of the integer tests).
        var f = FormatTable.Get(name);
        var x = Distributions.Normal(20_000, 5);
        var p = MinMaxParams(f, x);
        float s = p.Scales[0];
        int z = p.ZeroPoints[0];
        var y = new float[x.Length];
        Affine.FakeQuantize(x, [x.Length], p, y);
        var grid = f.Grid.ToArray();
        double slack = FloatSlack(x);
        for (int i = 0; i < x.Length; i++)
        {
            double v = (double)x[i] / s + z;
            int k = Math.Clamp(Array.FindLastIndex(grid, g => g <= v), 0, grid.Length - 2);
            double bound = s * (grid[k + 1] - grid[k]) / 2 + slack;
            Assert.True(Math.Abs(x[i] - y[i]) <= bound, $"{name}: {x[i]} → {y[i]}, more than half the local step {s * (grid[k + 1] - grid[k]):G4}");
        }
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void Quantize_SortedInput_CodesAreMonotonic(string name)
    {
        var f = FormatTable.Get(name);
        var p = Affine.Choose(f, SchemeFor(f), -1, 1);
        int points = Math.Max(20_000, 8 * f.Grid.Count);  // ≥ 4 points per step inside [−1, 1] for uniform grids
        // Non-uniform grids have steps far below 1/points (fp8 subnormals): their real grid values are added to the sweep.
        var x = Enumerable.Range(0, points + 1).Select(i => -2f + 4f * i / points)
            .Concat(f.Grid.Select(g => (g - p.ZeroPoints[0]) * p.Scales[0])).Order().ToArray();
        var codes = new int[x.Length];
        Affine.Quantize(x, [x.Length], p, codes);
        for (int i = 1; i < x.Length; i++)
            Assert.True(f.Decode(codes[i]) >= f.Decode(codes[i - 1]), $"{name}: code decreases between x={x[i - 1]} and x={x[i]}");
        Assert.Equal(f.Grid.Count, codes.Distinct().Count());  // every grid value is reached
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void Quantize_BeyondRange_SaturatesAtGridEnds(string name)
    {
        var f = FormatTable.Get(name);
        float gmin = f.Grid[0], gmax = f.Grid[^1];
        var p = Affine.Choose(f, SchemeFor(f), -1, 1);
        float[] x = [-1e30f, float.NegativeInfinity, -3f, 3f, float.PositiveInfinity, 1e30f, float.MaxValue, float.MinValue];
        var codes = new int[x.Length];
        Affine.Quantize(x, [x.Length], p, codes);
        Assert.Equal([gmin, gmin, gmin, gmax, gmax, gmax, gmax, gmin], codes.Select(f.Decode));
    }

    [Theory, MemberData(nameof(IntegerFormats))]
    public void Quantize_NarrowFormats_NeverProduceFullRangeMinimum(string name)
    {
        var f = FormatTable.Get(name);
        var x = Distributions.Normal(10_000, 3).Append(-1e30f).Append(float.NegativeInfinity).ToArray();
        var codes = new int[x.Length];
        foreach (var scheme in new[] { QuantScheme.Symmetric, QuantScheme.Asymmetric })
        {
            Affine.Quantize(x, [x.Length], Affine.Choose(f, scheme, -4, 4), codes);
            var (qmin, qmax) = f.IntegerRange!.Value;
            Assert.All(codes, c => Assert.InRange(c, qmin, qmax));
            if (f is IntFormat { IsNarrow: true } n)
                Assert.True(codes.Min() == -n.Qmax, $"{name}: narrow minimum should be −qmax = {-n.Qmax}, got {codes.Min()}");
        }
    }

    [Theory, MemberData(nameof(OnnxStorableFormats))]
    public void Quantize_ToOnnxStorage_RoundTripsCodes(string name)
    {
        var f = FormatTable.Get(name);
        var x = Distributions.Normal(999, 4);  // odd length: 4-bit storage has a half-used last byte
        var t = LowBit.Tensors.Tensor.FromArray(x, 9, 111);
        var p = Affine.Choose(f, SchemeFor(f), x.Min(), x.Max());
        var q = Affine.Quantize(t, p);
        Assert.Equal(f.OnnxType, q.DType);
        var codes = new int[x.Length];
        Affine.Quantize(x, [9, 111], p, codes);
        Assert.Equal(codes, CodeStorage.FromTensor(q));
        var y = new float[x.Length];
        Affine.Dequantize(codes, [9, 111], p, y);
        Assert.Equal(y, Affine.Dequantize(q, p).ToFloatArray());
    }

    [Fact]
    public void Get_UnknownName_ListsKnownFormats()
    {
        var e = Assert.Throws<LowBitException>(() => FormatTable.Get("int9"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("int9", e.Message);
        Assert.Contains("int8-narrow", e.Message);
        Assert.Contains("uint16", e.Message);
    }

    [Fact]
    public void Get_KnownNames_CaseInsensitive()
    {
        Assert.Same(FormatTable.Get("int8"), FormatTable.Get(" INT8 "));
        foreach (var n in new[] { "int2", "int3", "int4", "int5", "int6", "int7", "int8", "int16", "uint2", "uint4", "uint8", "uint16", "int8-narrow", "int4-narrow" })
            Assert.Equal(n, FormatTable.Get(n).Name);
    }

    [Fact]
    public void All_NamesAreUnique() => Assert.Equal(FormatTable.All.Count, FormatTable.Names.Distinct().Count());
}
