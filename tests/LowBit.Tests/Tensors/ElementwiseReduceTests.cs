using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Tests.Tensors;

/// <summary>The axis-reduction driver against a scalar reference over random shapes and axis subsets (including
/// size-0 and size-1 dims and non-adjacent axes), and the erf approximations against reference values.</summary>
public class ElementwiseReduceTests
{
    [Fact]
    public void Reduce_RandomShapesAndAxes_MatchesScalarReference()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 300; trial++)
        {
            int rank = rng.Next(1, 5);
            var shape = Enumerable.Range(0, rank).Select(_ => rng.Next(10) == 0 ? 0 : rng.Next(1, 5)).ToArray();
            var axes = Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).ToArray();
            if (axes.Length == 0) axes = Enumerable.Range(0, rank).ToArray();
            bool keep = rng.Next(2) == 0;
            // Small integers keep float sums exact in any order, so the comparison can be exact.
            var data = Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (float)rng.Next(-4, 5)).ToArray();
            var x = Tensor.FromArray(data, shape);
            var what = $"[{string.Join(",", shape)}] axes [{string.Join(",", axes)}] keep={keep}";

            var sum = Elementwise.Reduce<float, SumReduce<float>>(x, axes, keep);
            var max = Elementwise.Reduce<float, MaxReduce<float>>(x, axes, keep);
            var prod = Elementwise.Reduce<float, ProdReduce<float>>(x, axes, keep);
            Assert.Equal(Elementwise.ReducedShape(shape, axes, keep), sum.Shape);
            Assert.Equal(Reference(data, shape, axes, 0f, (a, b) => a + b), sum.AsSpan<float>().ToArray());
            Assert.Equal(Reference(data, shape, axes, float.NegativeInfinity, Math.Max), max.AsSpan<float>().ToArray());
            Assert.Equal(Reference(data, shape, axes, 1f, (a, b) => a * b), prod.AsSpan<float>().ToArray());
        }
    }

    [Fact]
    public void Reduce_LargeInParallel_MatchesScalarReference()
    {
        int saved = Parallelism.Degree;
        Parallelism.Degree = 3;
        try
        {
            var rng = new Random(9);
            int[] shape = [4, 64, 33, 31];
            var data = Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (float)rng.Next(-4, 5)).ToArray();
            var x = Tensor.FromArray(data, shape);
            foreach (var axes in new[] { new[] { 3 }, new[] { 0, 2, 3 }, new[] { 1 }, new[] { 0 }, new[] { 0, 1, 2, 3 } })
            {
                var r = Elementwise.Reduce<float, SumReduce<float>>(x, axes, keepDims: false);
                Assert.Equal(Reference(data, shape, axes, 0f, (a, b) => a + b), r.AsSpan<float>().ToArray());
            }
        }
        finally
        {
            Parallelism.Degree = saved;
        }
    }

    [Fact]
    public void Reduce_EmptyAxis_GivesIdentity()
    {
        var x = Tensor.Zeros(DType.Int32, 3, 0);
        Assert.Equal(new[] { 0, 0, 0 }, Elementwise.Reduce<int, SumReduce<int>>(x, [1], false).AsSpan<int>().ToArray());
        Assert.Equal(new[] { int.MinValue, int.MinValue, int.MinValue }, Elementwise.Reduce<int, MaxReduce<int>>(x, [1], false).AsSpan<int>().ToArray());
    }

    [Fact]
    public void ErfFloat32_MaxErrorWithin4Ulp()
    {
        // float32 erf is a fitted approximation (ErfMath); the float64 version is the reference (≈1e−14 relative).
        double worst = 0;
        var xs = Enumerable.Range(-60000, 120001).Select(i => i / 10000f).Concat(Enumerable.Range(0, 200).Select(i => MathF.Pow(10, -i / 20f))).ToArray();
        var vec = new float[xs.Length];
        Elementwise.MapVector(xs, vec, new ErfProbe());
        for (int i = 0; i < xs.Length; i++)
        {
            double e = ErfMath.Erf((double)xs[i]);
            double ulp = Math.Max(Math.Abs(e) * Math.Pow(2, -23), 1e-45);
            worst = Math.Max(worst, Math.Abs(ErfMath.Erf(xs[i]) - e) / ulp);
            worst = Math.Max(worst, Math.Abs(vec[i] - e) / ulp);
        }
        Assert.True(worst <= 4, $"max error {worst:F2} ulp");
    }

    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-0.1, -0.1124629160182849)]
    [InlineData(1e-10, 1.1283791670955126e-10)]
    public void ErfFloat64_MatchesTabulatedValues(double x, double expected)
    {
        Assert.True(Math.Abs(ErfMath.Erf(x) - expected) <= 1e-15 * Math.Abs(expected) + 1e-300, $"erf({x}) = {ErfMath.Erf(x):R}");
    }

    private readonly struct ErfProbe : IVectorUnaryOp<float>
    {
        public float Apply(float x) => ErfMath.Erf(x);
        public System.Runtime.Intrinsics.Vector256<float> Apply(System.Runtime.Intrinsics.Vector256<float> x) => ErfMath.Erf(x);
    }

    private static float[] Reference(float[] data, int[] shape, int[] axes, float identity, Func<float, float, float> op)
    {
        var outShape = Elementwise.ReducedShape(shape, axes, keepDims: true);
        var r = new float[(int)Tensor.ElementCount(outShape)];
        Array.Fill(r, identity);
        ElementwiseBroadcastTests.ForEachIndex(shape, (i, idx) =>
        {
            int o = 0;
            for (int d = 0; d < shape.Length; d++) o = o * outShape[d] + (axes.Contains(d) ? 0 : idx[d]);
            r[o] = op(r[o], data[i]);
        });
        return r;
    }
}
