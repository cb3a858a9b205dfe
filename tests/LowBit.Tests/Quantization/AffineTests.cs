using LowBit.Formats;
using LowBit.Quantization;

namespace LowBit.Tests.Quantization;

/// <summary>Choosing (s, z) from ranges.</summary>
public class AffineTests
{
    private static readonly IntFormat Int8 = new(8, true), UInt8 = new(8, false), Int4 = new(4, true), UInt4 = new(4, false);

    public static TheoryData<float, float> DegenerateRanges() => new()
    {
        { 0f, 0f },                    // all-zero tensor
        { 3.5f, 3.5f },                // constant positive
        { -2f, -2f },                  // constant negative
        { 1e-30f, 1.0000001e-30f },    // tiny range
        { 1e-40f, 1e-40f },            // subnormal constant
        { -1e-45f, 1e-45f },           // smallest subnormals
        { -3e38f, 3e38f },             // near float max
    };

    [Theory, MemberData(nameof(DegenerateRanges))]
    public void Choose_DegenerateRanges_ScaleFinitePositiveAndZeroExact(float min, float max)
    {
        foreach (var f in FormatTable.All)
            foreach (var scheme in f.IntegerRange is null ? new[] { QuantScheme.Symmetric } : new[] { QuantScheme.Symmetric, QuantScheme.Asymmetric })
            {
                var p = Affine.Choose(f, scheme, min, max);
                string what = $"{f.Name} {scheme} [{min}, {max}]";
                Assert.True(float.IsFinite(p.Scales[0]) && p.Scales[0] > 0, $"{what}: scale {p.Scales[0]}");
                var (qmin, qmax) = f.IntegerRange ?? (0, 0);  // grids without zero points take z = 0
                Assert.InRange(p.ZeroPoints[0], qmin, qmax);
                float[] x = [0f, min, max];
                var y = new float[3];
                Affine.FakeQuantize(x, [3], p, y);
                // 0 is exact wherever the grid holds the zero point (every format but those without a zero level, e.g. binary ±1).
                if (f.Grid.Contains(p.ZeroPoints[0])) Assert.True(y[0] == 0f, $"{what}: 0 came back as {y[0]}");
                Assert.All(y, v => Assert.True(float.IsFinite(v), $"{what}: non-finite output"));
            }
    }

    [Fact]
    public void Choose_ConstantTensor_ValueReproducedWithinHalfStep()
    {
        foreach (var scheme in new[] { QuantScheme.Symmetric, QuantScheme.Asymmetric })
        {
            var p = Affine.Choose(Int8, scheme, 3.5f, 3.5f);
            var y = new float[1];
            Affine.FakeQuantize([3.5f], [1], p, y);
            Assert.True(Math.Abs(y[0] - 3.5f) <= p.Scales[0] / 2 * 1.0001, $"{scheme}: 3.5 → {y[0]}");
        }
    }

    [Fact]
    public void Choose_Symmetric_ZeroPointAtGridMiddle()
    {
        Assert.Equal(0, Affine.Choose(Int8, QuantScheme.Symmetric, -1, 3).ZeroPoints[0]);
        Assert.Equal(128, Affine.Choose(UInt8, QuantScheme.Symmetric, -1, 3).ZeroPoints[0]);
        Assert.Equal(0, Affine.Choose(Int4, QuantScheme.Symmetric, -1, 3).ZeroPoints[0]);
        Assert.Equal(8, Affine.Choose(UInt4, QuantScheme.Symmetric, -1, 3).ZeroPoints[0]);
        Assert.Equal(3 / 127f, Affine.Choose(FormatTable.Get("int8-narrow"), QuantScheme.Symmetric, -3, 1).Scales[0]);
    }

    [Theory]
    [InlineData("int4", -1, 3, 3 / 7.0)]    // led by the maximum: +3 ↦ qmax = 7 exactly (not 7.5, clipped to 7)
    [InlineData("int4", -3, 1, 3 / 8.0)]    // led by the minimum: −3 ↦ qmin = −8, the extra negative level
    [InlineData("int8", -1, 3, 3 / 127.0)]
    [InlineData("int8", -3, 1, 3 / 128.0)]
    [InlineData("uint4", -1, 3, 3 / 7.0)]   // z = 8: levels 9..15 above it, 0..7 below
    [InlineData("int2", -0.5, 0.5, 0.5)]    // [−2, 1]: the positive side needs s = 0.5
    public void Choose_Symmetric_SmallestScaleThatClipsNeitherEnd(string format, double min, double max, double scale)
    {
        var f = FormatTable.Get(format);
        var p = Affine.Choose(f, QuantScheme.Symmetric, min, max);
        Assert.Equal((float)scale, p.Scales[0]);
        // both ends survive a round trip exactly (scale chosen so they land on grid points)
        var y = new float[2];
        Affine.FakeQuantize([(float)min, (float)max], [2], p, y);
        double dominant = Math.Abs(min) > max ? min : max;
        Assert.Equal(dominant, y[Math.Abs(min) > max ? 0 : 1], 6);
    }

    [Fact]
    public void Choose_Asymmetric_MapsRangeOntoWholeGrid()
    {
        var p = Affine.Choose(Int8, QuantScheme.Asymmetric, -1, 3);
        Assert.Equal(4 / 255f, p.Scales[0]);
        Assert.Equal(-128 + 64, p.ZeroPoints[0]);  // z = qmin − round(lo/s) = −128 + round(63.75)
        var relu = Affine.Choose(UInt8, QuantScheme.Asymmetric, 0.5f, 6);  // range widened to include 0
        Assert.Equal(6 / 255f, relu.Scales[0]);
        Assert.Equal(0, relu.ZeroPoints[0]);
        var negative = Affine.Choose(UInt8, QuantScheme.Asymmetric, -6, -0.5f);
        Assert.Equal(255, negative.ZeroPoints[0]);
    }

    [Fact]
    public void Choose_AsymmetricRange_EndsReproducedWithinHalfStep()
    {
        var r = new Random(7);
        for (int t = 0; t < 200; t++)
        {
            float a = (float)(r.NextDouble() * 20 - 10), b = (float)(r.NextDouble() * 20 - 10);
            var (min, max) = (Math.Min(a, b), Math.Max(a, b));
            foreach (var f in new[] { Int8, UInt8, Int4, UInt4 })
            {
                var p = Affine.Choose(f, QuantScheme.Asymmetric, min, max);
                var y = new float[3];
                Affine.FakeQuantize([min, max, 0], [3], p, y);
                float tol = p.Scales[0] / 2 * 1.0001f;
                Assert.True(Math.Abs(y[0] - min) <= tol && Math.Abs(y[1] - max) <= tol, $"{f.Name} [{min}, {max}] → [{y[0]}, {y[1]}]");
                Assert.Equal(0f, y[2]);
            }
        }
    }

    [Fact]
    public void Choose_InvalidRange_Throws()
    {
        Assert.Throws<ArgumentException>(() => Affine.Choose(Int8, QuantScheme.Asymmetric, 2, 1));
        Assert.Throws<ArgumentException>(() => Affine.Choose(Int8, QuantScheme.Asymmetric, float.NaN, 1));
        Assert.Throws<ArgumentException>(() => Affine.Choose(Int8, QuantScheme.Asymmetric, 0, float.PositiveInfinity));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void ChooseFromData_PerChannel_OneRangePerIndexAlongAxis(int axis)
    {
        int[] shape = [3, 4, 5];
        var x = Distributions.Normal(60, 11);
        int ax = axis < 0 ? axis + 3 : axis;
        // scale channel c by 10^c so a shared range would be visibly wrong
        for (int i = 0; i < x.Length; i++) x[i] *= MathF.Pow(10, Index(i, shape)[ax]);
        var p = Affine.ChooseFromData(x, shape, Int8, QuantScheme.Asymmetric, new PerChannel(axis));
        Assert.Equal([shape[ax]], p.ScaleShape);
        for (int c = 0; c < shape[ax]; c++)
        {
            var members = Enumerable.Range(0, x.Length).Where(i => Index(i, shape)[ax] == c).Select(i => x[i]).ToArray();
            var (s, z) = Affine.ChooseOne(Int8, QuantScheme.Asymmetric, members.Min(), members.Max());
            Assert.Equal(s, p.Scales[c]);
            Assert.Equal(z, p.ZeroPoints[c]);
        }
        var y = new float[x.Length];
        Affine.FakeQuantize(x, shape, p, y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(x[i] - y[i]) <= p.Scales[Index(i, shape)[ax]] / 2 * 1.0001, $"element {i}: {x[i]} → {y[i]}");
    }

    [Fact]
    public void ChooseFromData_PerGroupWithTailBlock_OneRangePerBlock()
    {
        int[] shape = [2, 40, 3];  // axis 1: blocks [0,16), [16,32), [32,40)
        var x = Distributions.Normal(240, 12);
        var p = Affine.ChooseFromData(x, shape, Int4, QuantScheme.Symmetric, new PerGroup(1, 16));
        Assert.Equal([2, 3, 3], p.ScaleShape);
        for (int o = 0; o < 2; o++)
            for (int b = 0; b < 3; b++)
                for (int i = 0; i < 3; i++)
                {
                    var block = Enumerable.Range(b * 16, Math.Min(16, 40 - b * 16)).Select(k => x[(o * 40 + k) * 3 + i]).ToArray();
                    float scale = Math.Max(-Math.Min(block.Min(), 0) / 8, Math.Max(block.Max(), 0) / 7);
                    Assert.Equal(scale, p.Scales[(o * 3 + b) * 3 + i], 6);
                }
    }

    internal static int[] Index(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return idx;
    }
}
