using LowBit.Kernels.Pool;

namespace LowBit.Kernels.Tests.Pool;

/// <summary>Pooling kernels against direct evaluation of the window definition (every kernel tap, padding tested
/// per tap) on 1-D, 2-D and 3-D geometries with pads, strides and dilations.</summary>
public class PoolingTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        [new[] { 7, 9 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 1 }, new[] { 1, 1 }],
        [new[] { 112, 112 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0 }, new[] { 1, 1 }],
        [new[] { 10 }, new[] { 4 }, new[] { 3 }, new[] { 2 }, new[] { 2 }, new[] { 1 }],
        [new[] { 5, 6, 7 }, new[] { 2, 3, 2 }, new[] { 1, 2, 2 }, new[] { 1, 0, 1 }, new[] { 0, 1, 1 }, new[] { 2, 1, 2 }],
        [new[] { 8, 8 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0 }, new[] { 0, 0 }, new[] { 3, 2 }],
    ];

    private static PoolShape Make(int[] input, int[] kernel, int[] strides, int[] pb, int[] pe, int[] dil)
    {
        var output = input.Select((n, d) => (n + pb[d] + pe[d] - (dil[d] * (kernel[d] - 1) + 1)) / strides[d] + 1).ToArray();
        return new PoolShape(input, output, kernel, strides, pb, pe, dil);
    }

    /// <summary>Input indices (or −1 for padding, −2 beyond the end pad) of each output's window taps.</summary>
    private static List<List<int>> Windows(PoolShape s)
    {
        var result = new List<List<int>>();
        int rank = s.Rank;
        var o = new int[rank];
        for (int oi = 0; oi < s.OutputSize; oi++)
        {
            var taps = new List<int>();
            var k = new int[rank];
            int total = s.Kernel.Aggregate(1, (a, b) => a * b);
            for (int ki = 0; ki < total; ki++)
            {
                int flat = 0, state = 0;
                for (int d = 0; d < rank; d++)
                {
                    int pos = o[d] * s.Strides[d] - s.PadBegin[d] + k[d] * s.Dilations[d];
                    if (pos < -s.PadBegin[d] || pos >= s.Input[d] + s.PadEnd[d]) state = Math.Min(state, -2);
                    else if (pos < 0 || pos >= s.Input[d]) state = Math.Min(state, -1);
                    flat = flat * s.Input[d] + pos;
                }
                taps.Add(state < 0 ? state : flat);
                for (int d = rank - 1; d >= 0; d--) { if (++k[d] < s.Kernel[d]) break; k[d] = 0; }
            }
            result.Add(taps);
            for (int d = rank - 1; d >= 0; d--) { if (++o[d] < s.Output[d]) break; o[d] = 0; }
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MaxAverageLp_MatchWindowDefinition(int[] input, int[] kernel, int[] strides, int[] pb, int[] pe, int[] dil)
    {
        var s = Make(input, kernel, strides, pb, pe, dil);
        var x = Numerics.Random(s.InputSize, 7);
        var windows = Windows(s);
        var max = new float[s.OutputSize];
        var idx = new long[s.OutputSize];
        var avg = new float[s.OutputSize];
        var avgPad = new float[s.OutputSize];
        var l2 = new float[s.OutputSize];
        Pooling.Max<float>(x, s, max, idx, 100, false);
        Pooling.Average<float>(x, s, false, avg);
        Pooling.Average<float>(x, s, true, avgPad);
        Pooling.Lp<float>(x, s, 2, l2);
        for (int o = 0; o < s.OutputSize; o++)
        {
            var inside = windows[o].Where(t => t >= 0).ToList();
            int padded = windows[o].Count(t => t != -2);
            float best = inside.Max(t => x[t]);
            Assert.Equal(best, max[o]);
            Assert.Equal(100 + inside.First(t => x[t] == best), idx[o]);
            double sum = inside.Sum(t => (double)x[t]);
            // float sums of ≤ 12 terms of magnitude ≤ 1: error ≤ 12·2⁻²⁴·12 < 1e-5.
            Assert.InRange(avg[o] - sum / inside.Count, -1e-5, 1e-5);
            Assert.InRange(avgPad[o] - sum / padded, -1e-5, 1e-5);
            Assert.InRange(l2[o] - Math.Sqrt(inside.Sum(t => (double)x[t] * x[t])), -1e-5, 1e-5);
        }
    }

    [Fact]
    public void Max_ColumnMajorIndices_ReverseSpatialOrder()
    {
        // 2×3 plane, one window over everything: the max at row 1, col 2 is flat 5 row-major, 1 + 2·2 = 5 column-major;
        // at row 1, col 0: 3 row-major, 1 column-major.
        var s = new PoolShape([2, 3], [1, 1], [2, 3], [1, 1], [0, 0], [0, 0], [1, 1]);
        var y = new float[1];
        var idx = new long[1];
        Pooling.Max<float>(new float[] { 0, 1, 2, 9, 4, 5 }, s, y, idx, 0, true);
        Assert.Equal(9f, y[0]);
        Assert.Equal(1, idx[0]);
    }

    [Fact]
    public void Max_Int8_UsesIntegerOrder()
    {
        var s = new PoolShape([4], [2], [2], [2], [0], [0], [1]);
        var y = new sbyte[2];
        Pooling.Max<sbyte>(new sbyte[] { -128, -3, 127, 5 }, s, y, default, 0, false);
        Assert.Equal(new sbyte[] { -3, 127 }, y);
    }
}
