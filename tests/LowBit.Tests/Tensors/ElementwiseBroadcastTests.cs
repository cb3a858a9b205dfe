using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Tests.Tensors;

/// <summary>
/// The broadcast driver against a scalar reference that maps every output multi-index to its operands' elements
/// (right-aligned, size-1 dims pinned to 0). Every path (fast paths, collapsed general walk, uncollapsed walk) must
/// agree exactly: the same scalar operation is applied to the same pairs, so results are bit-identical.
/// </summary>
public class ElementwiseBroadcastTests
{
    private static readonly BroadcastPath[] Paths = [BroadcastPath.Auto, BroadcastPath.General, BroadcastPath.Uncollapsed];

    [Fact]
    public void Binary_RandomShapes_AllPathsMatchScalarReference()
    {
        var rng = new Random(42);
        for (int trial = 0; trial < 400; trial++)
        {
            var (aShape, bShape, outShape) = RandomCompatibleShapes(rng);
            var a = RandomFloats(rng, aShape);
            var b = RandomFloats(rng, bShape);
            var expected = Reference(a, aShape, b, bShape, outShape, (x, y) => x + y);
            foreach (var path in Paths)
            {
                var d = new float[Math.Max(1, (int)Tensor.ElementCount(outShape))];
                Elementwise.BinaryInto<float, float, AddOp<float>>(a, aShape, b, bShape, d, outShape, path);
                AssertSame(expected, d, $"{Describe(aShape)} + {Describe(bShape)} via {path}");
            }
        }
    }

    [Fact]
    public void Binary_IntegerAndBoolOutput_AllPathsMatchScalarReference()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var (aShape, bShape, outShape) = RandomCompatibleShapes(rng);
            var a = RandomInts(rng, aShape);
            var b = RandomInts(rng, bShape);
            var diff = Reference(a, aShape, b, bShape, outShape, (x, y) => unchecked(x - y));
            var less = Reference(a, aShape, b, bShape, outShape, (x, y) => x < y);
            foreach (var path in Paths)
            {
                int n = Math.Max(1, (int)Tensor.ElementCount(outShape));
                var d = new int[n];
                Elementwise.BinaryInto<int, int, SubOp<int>>(a, aShape, b, bShape, d, outShape, path);
                AssertSame(diff, d, $"{Describe(aShape)} - {Describe(bShape)} via {path}");
                var l = new bool[n];
                Elementwise.BinaryInto<int, bool, LessOp<int>>(a, aShape, b, bShape, l, outShape, path);
                AssertSame(less, l, $"{Describe(aShape)} < {Describe(bShape)} via {path}");
            }
        }
    }

    /// <summary>Shapes chosen to hit each fast path (and the general path) on purpose.</summary>
    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 4 })]      // same shape
    [InlineData(new[] { 1, 2, 3, 4 }, new[] { 2, 3, 4 })]   // same layout, rank mismatch
    [InlineData(new[] { 2, 3, 4 }, new int[0])]              // scalar right
    [InlineData(new[] { 1 }, new[] { 5, 7 })]                // scalar left ([1])
    [InlineData(new[] { 4, 6, 5 }, new[] { 6, 5 })]          // trailing row right
    [InlineData(new[] { 1, 5 }, new[] { 3, 5 })]             // trailing row left (with leading 1)
    [InlineData(new[] { 2, 8, 7, 7 }, new[] { 8, 1, 1 })]    // per-channel bias (general, collapsed to [2, 8, 49])
    [InlineData(new[] { 6, 1 }, new[] { 1, 9 })]             // outer product
    [InlineData(new[] { 3, 0, 2 }, new[] { 1, 2 })]          // zero-size output
    [InlineData(new[] { 1, 1, 1 }, new[] { 1 })]             // all ones
    public void Binary_FastPathShapes_MatchScalarReference(int[] aShape, int[] bShape)
    {
        var rng = new Random(aShape.Sum() * 31 + bShape.Length);
        var outShape = Broadcast.Shape(aShape, bShape);
        var a = RandomFloats(rng, aShape);
        var b = RandomFloats(rng, bShape);
        var expected = Reference(a, aShape, b, bShape, outShape, (x, y) => x * y);
        foreach (var path in Paths)
        {
            var d = new float[Math.Max(1, (int)Tensor.ElementCount(outShape))];
            Elementwise.BinaryInto<float, float, MulOp<float>>(a, aShape, b, bShape, d, outShape, path);
            AssertSame(expected, d, $"{Describe(aShape)} * {Describe(bShape)} via {path}");
            // Swapped operands exercise the mirrored fast paths.
            var e = new float[d.Length];
            Elementwise.BinaryInto<float, float, MulOp<float>>(b, bShape, a, aShape, e, outShape, path);
            AssertSame(expected, e, $"{Describe(bShape)} * {Describe(aShape)} via {path}");
        }
    }

    [Theory]
    [InlineData(new[] { 1, 64, 56, 56 }, new[] { 1, 64, 56, 56 })]
    [InlineData(new[] { 2, 64, 56, 56 }, new[] { 64, 1, 1 })]
    [InlineData(new[] { 300, 512 }, new[] { 512 })]
    [InlineData(new[] { 513, 1 }, new[] { 1, 300 })]
    public void Binary_LargeShapesInParallel_MatchScalarReference(int[] aShape, int[] bShape)
    {
        int saved = Parallelism.Degree;
        Parallelism.Degree = 3;
        try
        {
            var rng = new Random(3);
            var outShape = Broadcast.Shape(aShape, bShape);
            var a = RandomFloats(rng, aShape);
            var b = RandomFloats(rng, bShape);
            var expected = Reference(a, aShape, b, bShape, outShape, (x, y) => x - y);
            foreach (var path in Paths)
            {
                var d = new float[expected.Length];
                Elementwise.BinaryInto<float, float, SubOp<float>>(a, aShape, b, bShape, d, outShape, path);
                AssertSame(expected, d, $"{Describe(aShape)} - {Describe(bShape)} via {path} (3 threads)");
            }
        }
        finally
        {
            Parallelism.Degree = saved;
        }
    }

    [Fact]
    public void Plan_ChannelBias_CollapsesToThreeDims()
    {
        var plan = BroadcastPlan.Create([2, 8, 7, 7], [2, 8, 7, 7], [8, 1, 1]);
        Assert.Equal(new[] { 2, 8, 49 }, plan.Dims);
        Assert.Equal(new[] { 392, 49, 1 }, plan.Strides[0]);
        Assert.Equal(new[] { 0, 1, 0 }, plan.Strides[1]);
    }

    [Fact]
    public void Plan_SameShapes_CollapseToOneRow()
    {
        var plan = BroadcastPlan.Create([3, 4, 5], [3, 4, 5], [1, 3, 4, 5]);
        Assert.Equal(new[] { 60 }, plan.Dims);
        Assert.Equal(1, plan.Rows);
    }

    [Fact]
    public void Where_RandomShapes_MatchesScalarReference()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 150; trial++)
        {
            var (cShape, xShape, _) = RandomCompatibleShapes(rng);
            var yShape = rng.Next(2) == 0 ? xShape : cShape;
            var outShape = Broadcast.Shape(cShape, xShape, yShape);
            var c = Tensor.FromArray(RandomInts(rng, cShape).Select(v => v > 0).ToArray(), cShape);
            var x = Tensor.FromArray(RandomFloats(rng, xShape), xShape);
            var y = Tensor.FromArray(RandomFloats(rng, yShape), yShape);
            var r = Elementwise.Where(c, x, y);
            Assert.Equal(outShape, r.Shape);
            var cs = (bool[])c.Data;
            var xs = (float[])x.Data;
            var ys = (float[])y.Data;
            ForEachIndex(outShape, (i, idx) =>
                Assert.Equal(cs[Source(idx, cShape)] ? xs[Source(idx, xShape)] : ys[Source(idx, yShape)], r.AsSpan<float>()[i]));
        }
    }

    // Scalar reference -------------------------------------------------------------------------------------------

    internal static TR[] Reference<T, TR>(T[] a, int[] aShape, T[] b, int[] bShape, int[] outShape, Func<T, T, TR> f)
    {
        var r = new TR[(int)Tensor.ElementCount(outShape)];
        ForEachIndex(outShape, (i, idx) => r[i] = f(a[Source(idx, aShape)], b[Source(idx, bShape)]));
        return r;
    }

    /// <summary>Row-major offset in an operand of <paramref name="shape"/> of the output multi-index (right-aligned).</summary>
    internal static int Source(int[] outIdx, int[] shape)
    {
        int off = 0, stride = 1;
        for (int k = shape.Length - 1, i = outIdx.Length - 1; k >= 0; k--, i--)
        {
            off += (shape[k] == 1 ? 0 : outIdx[i]) * stride;
            stride *= shape[k];
        }
        return off;
    }

    internal static void ForEachIndex(int[] shape, Action<int, int[]> body)
    {
        int n = (int)Tensor.ElementCount(shape);
        var idx = new int[shape.Length];
        for (int i = 0; i < n; i++)
        {
            body(i, idx);
            for (int d = shape.Length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
    }

    /// <summary>An output shape of rank 0–4 (dims 0, 1, 2, 3 or 5) and two operands that broadcast to it: each a suffix
    /// of it with some dims replaced by 1 and sometimes extra leading 1s.</summary>
    internal static (int[] A, int[] B, int[] Out) RandomCompatibleShapes(Random rng)
    {
        int[] dims = [1, 2, 3, 5];
        int rank = rng.Next(5);
        var outShape = Enumerable.Range(0, rank).Select(_ => rng.Next(12) == 0 ? 0 : dims[rng.Next(dims.Length)]).ToArray();
        int[] Operand()
        {
            int k = rng.Next(rank + 1);
            var s = outShape[(rank - k)..].Select(d => rng.Next(3) == 0 ? 1 : d).ToArray();
            if (rng.Next(5) == 0) s = [1, .. s];
            return s;
        }
        var a = Operand();
        var b = Operand();
        return (a, b, Broadcast.Shape(a, b));
    }

    internal static float[] RandomFloats(Random rng, int[] shape) =>
        Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();

    internal static int[] RandomInts(Random rng, int[] shape) =>
        Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => rng.Next(-3, 4) * (rng.Next(10) == 0 ? int.MaxValue / 2 : 1)).ToArray();

    private static void AssertSame<T>(T[] expected, T[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(EqualityComparer<T>.Default.Equals(expected[i], actual[i]), $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }

    private static string Describe(int[] s) => "[" + string.Join(",", s) + "]";
}
