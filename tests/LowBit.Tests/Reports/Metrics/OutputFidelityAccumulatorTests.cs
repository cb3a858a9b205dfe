using LowBit.Reports.Metrics;
using LowBit.Tensors;

namespace LowBit.Tests.Reports.Metrics;

public class OutputFidelityAccumulatorTests
{
    [Fact]
    public void Result_HandComputedRows_MatchAgreementAndCosine()
    {
        // Row 0: ref argmax 0, test argmax 0 (agree). Row 1: ref argmax 2, test argmax 3 (disagree; class 2 is 2nd in
        // the test row, so within its top 5). Cosines: 21/√(26·17) and 3/(3·√5).
        var r = Tensor.FromArray(new float[] { 5, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0 }, 2, 6);
        var t = Tensor.FromArray(new float[] { 4, 1, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0 }, 2, 6);
        var acc = new OutputFidelityAccumulator("logits", classifier: true);
        acc.Add(r, t);
        var f = acc.Result();
        Assert.Equal(2, f.Samples);
        Assert.Equal(12, f.Elements);
        Assert.Equal(0.5, f.Top1Agreement);
        Assert.Equal(1.0, f.Top5Agreement);
        double cos0 = 21 / Math.Sqrt(26 * 17), cos1 = 3 / (3 * Math.Sqrt(5));
        Assert.Equal((cos0 + cos1) / 2, f.CosineMean, 9);
        Assert.Equal(10 * Math.Log10((25 + 1 + 9) / (1.0 + 4 + 4)), f.SqnrDb, 9);  // Σx² = 35, Σ(x−y)² = 1 + 4 + 4
        Assert.Equal(2, f.MaxAbsError);
        Assert.True(f.KlDivergence > 0);
    }

    [Fact]
    public void Result_ReferenceClassSixth_IsOutsideTop5()
    {
        // Test row ranks classes 1..5 above class 0, the reference's argmax.
        var r = Tensor.FromArray(new float[] { 9, 0, 0, 0, 0, 0, 0 }, 1, 7);
        var t = Tensor.FromArray(new float[] { 0, 6, 5, 4, 3, 2, -1 }, 1, 7);
        var acc = new OutputFidelityAccumulator("y", classifier: true);
        acc.Add(r, t);
        Assert.Equal(0.0, acc.Result().Top5Agreement);
    }

    [Fact]
    public void Result_IdenticalBatches_ArePerfect()
    {
        var x = Tensor.FromArray(new float[] { 1, -2, 3, 0.5f, 0, 7 }, 2, 3);
        var acc = new OutputFidelityAccumulator("y", classifier: true);
        acc.Add(x, x.Clone());
        acc.Add(x, x.Clone());
        var f = acc.Result();
        Assert.Equal(double.PositiveInfinity, f.SqnrDb);
        Assert.Equal(1, f.CosineMean, 12);
        Assert.Equal(1.0, f.Top1Agreement);
        Assert.Null(f.Top5Agreement);  // 3 classes: top-5 is trivial
        Assert.Equal(0, f.KlDivergence!.Value, 12);
        Assert.Equal(4, f.Samples);
    }

    [Fact]
    public void Result_NonFiniteValues_LeftOutOfKlAsOfEveryOtherMetric()
    {
        // Row 0 is clean. Row 1 has a NaN in the test model's class 2: KL and cosine use classes 0, 1, 3 of that row,
        // as SQNR does, and the pair is counted. Row 2 is all NaN in the reference: no finite pair, out of both means.
        var r = Tensor.FromArray(new float[] { 2, 0, 1, 0, 1, 3, 5, 0, float.NaN, float.NaN, float.NaN, float.NaN }, 3, 4);
        var t = Tensor.FromArray(new float[] { 1, 0, 1, 1, 1, 2, float.NaN, 1, 0, 0, 0, 0 }, 3, 4);
        var acc = new OutputFidelityAccumulator("logits", classifier: true);
        acc.Add(r, t);
        var f = acc.Result();
        double kl0 = Divergence.SoftmaxKl([2, 0, 1, 0], [1, 0, 1, 1]), kl1 = Divergence.SoftmaxKl([1, 3, 0], [1, 2, 1]);
        Assert.Equal((kl0 + kl1) / 2, f.KlDivergence!.Value, 12);
        double cos0 = 3 / Math.Sqrt(5 * 3.0), cos1 = 7 / Math.Sqrt(10 * 6.0);
        Assert.Equal((cos0 + cos1) / 2, f.CosineMean, 12);
        Assert.Equal(5, f.NonFinite);
        Assert.Equal(3, f.Samples);
    }

    [Fact]
    public void Result_NotClassifier_HasNoAgreement()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4);
        var acc = new OutputFidelityAccumulator("features", classifier: false);
        acc.Add(x, x);
        var f = acc.Result();
        Assert.Null(f.Top1Agreement);
        Assert.Null(f.KlDivergence);
    }

    [Fact]
    public void Add_ShapeMismatch_ThrowsNamingOutput()
    {
        var acc = new OutputFidelityAccumulator("y", false);
        var e = Assert.Throws<LowBitException>(() => acc.Add(Tensor.Zeros(DType.Float32, 2, 3), Tensor.Zeros(DType.Float32, 3, 2)));
        Assert.Contains("'y'", e.Message);
    }
}
