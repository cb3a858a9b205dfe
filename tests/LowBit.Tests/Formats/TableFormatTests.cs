using LowBit.Formats;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Tests.Formats;

/// <summary>
/// The formats whose grid is a value table (FP8, FP4, NF4), against independent oracles: a brute-force scan of
/// <see cref="INumberFormat.Grid"/> in float64 for nearest rounding, and <see cref="Float8.FromFloat"/> (saturating) for
/// the float layouts, ties included. All comparisons are exact: the grid values and their midpoints are float32 numbers.
/// </summary>
public class TableFormatTests
{
    public static TheoryData<string> TableFormats() => new("fp8-e4m3", "fp8-e5m2", "fp4", "nf4");
    public static TheoryData<string> SmallFloats() => new("fp8-e4m3", "fp8-e5m2", "fp4");

    private static int[] Encode(INumberFormat f, float[] t, IRounding? rounding = null)
    {
        var codes = new int[t.Length];
        f.Encode(t, 0, codes, rounding ?? Nearest.Instance, 0);
        return codes;
    }

    /// <summary>Oracle: the grid value nearest to t in float64 (clamped to the grid ends); null at an exact tie.</summary>
    private static float? NearestByScan(IReadOnlyList<float> grid, float t)
    {
        double best = double.MaxValue;
        float? value = null;
        foreach (float g in grid)
        {
            double d = Math.Abs((double)g - t);
            if (d < best) { best = d; value = g; }
            else if (d == best) value = null;
        }
        return value;
    }

    /// <summary>Random scaled values: Gaussian and uniform over the grid span and beyond, log-uniform magnitudes down to
    /// below the smallest nonzero level, the float32 neighbours of every grid value, and points a few ulps either side of
    /// every midpoint (where a float32 grid coordinate alone would round the wrong way).</summary>
    private static float[] Probes(IReadOnlyList<float> grid, int seed)
    {
        var rng = new Random(seed);
        float max = grid[^1];
        double tiny = grid.Where(g => g > 0).Min();
        var x = new List<float>();
        for (int i = 0; i < 20_000; i++)
        {
            x.Add((float)(max / 3 * Normal(rng)));
            x.Add((float)(max * (2.4 * rng.NextDouble() - 1.2)));
            x.Add((float)((rng.Next(2) * 2 - 1) * Math.Exp(rng.NextDouble() * (Math.Log(2 * max) - Math.Log(tiny / 4)) + Math.Log(tiny / 4))));
        }
        foreach (float g in grid) x.AddRange([MathF.BitDecrement(g), MathF.BitIncrement(g)]);
        for (int i = 1; i < grid.Count; i++)
        {
            float mid = (grid[i - 1] + grid[i]) / 2, down = mid, up = mid;
            for (int k = 0; k < 3; k++) x.AddRange([down = MathF.BitDecrement(down), up = MathF.BitIncrement(up)]);
        }
        return x.ToArray();
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Theory, MemberData(nameof(TableFormats))]
    public void Encode_GridValues_DecodeToThemselves(string name)
    {
        var f = FormatTable.Get(name);
        var grid = f.Grid.ToArray();
        var codes = Encode(f, grid);
        for (int i = 0; i < grid.Length; i++) Assert.True(f.Decode(codes[i]) == grid[i], $"{name}: {grid[i]} → code {codes[i]} → {f.Decode(codes[i])}");
        Assert.Equal(grid.Length, codes.Distinct().Count());
        Assert.Null(f.IntegerRange);
    }

    [Theory, MemberData(nameof(TableFormats))]
    public void Encode_Nearest_EqualsBruteForceNearestGridValue(string name)
    {
        var f = FormatTable.Get(name);
        var x = Probes(f.Grid, 11);
        var codes = Encode(f, x);
        int checkedCount = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (NearestByScan(f.Grid, x[i]) is not { } want) continue;  // exact ties: see Encode_Midpoints_*
            checkedCount++;
            Assert.True(f.Decode(codes[i]) == want, $"{name}: {x[i]:R} → {f.Decode(codes[i]):R}, nearest is {want:R}");
        }
        Assert.True(checkedCount > 60_000);
    }

    [Theory, MemberData(nameof(TableFormats))]
    public void Encode_CeilingRounding_PicksUpperNeighbour(string name)
    {
        // A rounding that always takes ⌈u⌉ of the fractional grid index must give the smallest grid value ≥ t.
        var f = FormatTable.Get(name);
        var x = Probes(f.Grid, 12).Where(v => v > f.Grid[0] && v < f.Grid[^1]).ToArray();
        var codes = Encode(f, x, new Ceiling());
        for (int i = 0; i < x.Length; i++)
        {
            float want = f.Grid.First(g => g >= x[i]);
            Assert.True(f.Decode(codes[i]) == want, $"{name}: ⌈{x[i]:R}⌉ gave {f.Decode(codes[i]):R}, want {want:R}");
        }
    }

    [Theory, MemberData(nameof(TableFormats))]
    public void Encode_SpecialValues_SaturateAndMapNaNToZero(string name)
    {
        var f = FormatTable.Get(name);
        float[] x = [float.NaN, float.NegativeInfinity, float.MinValue, -1e30f, 1e30f, float.MaxValue, float.PositiveInfinity, -0f, 0f];
        var values = Encode(f, x).Select(f.Decode).ToArray();
        float lo = f.Grid[0], hi = f.Grid[^1];
        Assert.Equal([0f, lo, lo, lo, hi, hi, hi, 0f, 0f], values);
        Assert.All(Encode(f, [float.NaN, -0f, -1e-30f]), c => Assert.Equal(Encode(f, [0f])[0], c));  // one code for zero
    }

    [Theory, MemberData(nameof(TableFormats))]
    public void Encode_NonzeroZeroPoint_Throws(string name)
    {
        var f = FormatTable.Get(name);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Encode([1f], 1, new int[1], Nearest.Instance, 0));
    }

    [Theory, MemberData(nameof(SmallFloats))]
    public void Encode_Nearest_EqualsFloat8FromFloatSaturating(string name)
    {
        var f = FormatTable.Get(name);
        var type = f.OnnxType!.Value;
        var grid = f.Grid;
        // Random probes, every exact midpoint (the tie rule), and values beyond ±max.
        var x = Probes(grid, 13).Concat(Enumerable.Range(1, grid.Count - 1).Select(i => (grid[i - 1] + grid[i]) / 2))
            .Concat([grid[^1] * 1.1f, grid[0] * 1.1f, grid[^1] * 1e6f]).ToArray();
        var codes = Encode(f, x);
        int signBit = type == DType.Float4E2M1 ? 0x8 : 0x80;
        for (int i = 0; i < x.Length; i++)
        {
            int want = Float8.FromFloat(type, x[i], saturate: true);
            if (want == signBit) want = 0;  // −0: the format encodes zero as +0
            Assert.True(codes[i] == want, $"{name}: {x[i]:R} → 0x{codes[i]:X2}, Float8.FromFloat gives 0x{want:X2}");
        }
    }

    [Theory, MemberData(nameof(TableFormats))]
    public void Decode_NonGridPatterns_Throw(string name)
    {
        var f = FormatTable.Get(name);
        int count = 1 << (int)f.BitsPerWeight;
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Decode(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Decode(count));
        // Every pattern either decodes to a grid value or throws (NaN/∞ patterns); ±0 both decode to 0.
        int valid = 0;
        for (int c = 0; c < count; c++)
        {
            float v;
            try { v = f.Decode(c); } catch (ArgumentOutOfRangeException) { continue; }
            valid++;
            Assert.Contains(v, f.Grid);
        }
        int zeros = f.IsSigned && f.OnnxType is not null ? 2 : 1;
        Assert.Equal(f.Grid.Count + zeros - 1, valid);
    }

    private sealed class Ceiling : IRounding
    {
        public void Round(ReadOnlySpan<float> t, Span<int> result, int firstIndex)
        {
            for (int i = 0; i < t.Length; i++) result[i] = (int)MathF.Ceiling(t[i]);
        }
    }
}
