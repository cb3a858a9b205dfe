using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Rounding;

namespace LowBit.Tests.Formats;

/// <summary>Ternary, binary, power-of-two and APoT grids: exact values, bit layouts, and nearest-value encoding against a
/// brute-force oracle.</summary>
public class LogGridTests
{
    public static TheoryData<string> Names() => new("ternary", "binary", "pot3", "pot4", "pot5", "apot3", "apot4", "apot5");

    [Theory, MemberData(nameof(Names))]
    public void Encode_Nearest_MatchesBruteForceNearestGridValue(string name)
    {
        var f = FormatTable.Get(name);
        var grid = f.Grid.ToArray();
        float top = Math.Max(-grid[0], grid[^1]);
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        // Random points over 1.2× the range, every grid value, and values one float step either side of each midpoint.
        var x = Enumerable.Range(0, 20_000).Select(_ => (float)((rng.NextDouble() * 2 - 1) * 1.2 * top))
            .Concat(grid)
            .Concat(grid.Zip(grid.Skip(1), (a, b) => (a + b) / 2).SelectMany(m => new[] { MathF.BitDecrement(m), MathF.BitIncrement(m) }))
            .Append(1e-9f).Append(-1e-9f).ToArray();
        var codes = new int[x.Length];
        f.Encode(x, 0, codes, Nearest.Instance, 0);
        for (int i = 0; i < x.Length; i++)
        {
            double best = grid.Min(g => Math.Abs((double)g - x[i]));
            double got = Math.Abs((double)f.Decode(codes[i]) - x[i]);
            Assert.True(got == best, $"{name}: {x[i]:R} → {f.Decode(codes[i])}, but a grid value is {best:R} away");
        }
    }

    [Fact]
    public void Ternary_IsIntegerGridMinusOneToOne()
    {
        var f = FormatTable.Get("ternary");
        Assert.Equal([-1f, 0f, 1f], f.Grid);
        Assert.Equal((-1, 1), f.IntegerRange);
        Assert.Equal(LowBit.Tensors.DType.Int4, f.OnnxType);
        Assert.Equal(Math.Log2(3), f.BitsPerWeight, 12);
        var codes = new int[5];
        f.Encode([-0.6f, -0.4f, 0.4f, 0.6f, float.NaN], 0, codes, Nearest.Instance, 0);
        Assert.Equal([-1, 0, 0, 1, 0], codes);
    }

    [Fact]
    public void Ternary_ZeroPointOne_ShiftsToOneSidedLevels()
    {
        // z = 1: r = s·(q − 1) ∈ {−2s, −s, 0}; x/s = −1.4 → q − 1 = −1 → q = 0.
        var p = QuantParams.Scalar(FormatTable.Get("ternary"), 1f, 1);
        var codes = new int[4];
        Affine.Quantize([-1.4f, -2.6f, 0.3f, 5f], [4], p, codes);
        Assert.Equal([0, -1, 1, 1], codes);
    }

    [Fact]
    public void Binary_CodesAreSignBits()
    {
        var f = FormatTable.Get("binary");
        Assert.Equal([-1f, 1f], f.Grid);
        Assert.Null(f.IntegerRange);
        Assert.Equal(1, f.BitsPerWeight);
        var codes = new int[7];
        f.Encode([-3f, -1e-30f, 0f, 1e-30f, 7f, float.PositiveInfinity, float.NaN], 0, codes, Nearest.Instance, 0);
        Assert.Equal([0, 0, 0, 1, 1, 1, 0], codes);  // 0 ties to the even code (−1); NaN has no 0 to go to: code 0
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Encode([1f], 1, codes, Nearest.Instance, 0));
    }

    [Fact]
    public void PowerOfTwo4_GridAndSignMagnitudeCodes()
    {
        var f = FormatTable.Get("pot4");
        float[] mags = [1 / 64f, 1 / 32f, 1 / 16f, 1 / 8f, 1 / 4f, 1 / 2f, 1f];
        Assert.Equal(mags.Reverse().Select(m => -m).Append(0f).Concat(mags), f.Grid);
        for (int m = 1; m < 8; m++)
        {
            Assert.Equal(mags[m - 1], f.Decode(m));
            Assert.Equal(-mags[m - 1], f.Decode(8 + m));
        }
        var codes = new int[3];
        f.Encode([0f, -0.75f, 0.74f], 0, codes, Nearest.Instance, 0);  // −¾ ties between −½ (code 14) and −1 (code 15)
        Assert.Equal([0, 14, 6], codes);
    }

    [Fact]
    public void PowerOfTwo3_Grid() =>
        Assert.Equal([-1f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 1f], FormatTable.Get("pot3").Grid);

    [Fact]
    public void Apot3_IsUniformSevenLevels() =>
        Assert.Equal([-1.5f, -1f, -0.5f, 0f, 0.5f, 1f, 1.5f], FormatTable.Get("apot3").Grid);

    [Fact]
    public void Apot4_SumsOfEvenAndOddPowers()
    {
        var f = FormatTable.Get("apot4");
        float[] mags = [1 / 16f, 1 / 4f, 1 / 2f, 9 / 16f, 3 / 4f, 1f, 3 / 2f];
        Assert.Equal(mags.Reverse().Select(m => -m).Append(0f).Concat(mags), f.Grid);
        // code = sign·8 + (i1·2 + i2), P1 = {0, 1, ¼, 1/16}, P2 = {0, ½}: code 3 = 1 + ½, code 5 = ¼ + ½, code 14 = −(1/16 + 0).
        Assert.Equal(1.5f, f.Decode(3));
        Assert.Equal(0.75f, f.Decode(5));
        Assert.Equal(-1 / 16f, f.Decode(14));
    }

    [Fact]
    public void Apot5_SixteenDistinctMagnitudes()
    {
        var f = FormatTable.Get("apot5");
        Assert.Equal(31, f.Grid.Count);
        Assert.Contains(1 / 32f + 1 / 16f, f.Grid);
        Assert.Equal(1.5f, f.Grid[^1]);
    }
}
