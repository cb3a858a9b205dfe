using LowBit.Reports.Metrics;
using LowBit.Tensors;

namespace LowBit.Tests.Reports.Metrics;

public class AccuracyAccumulatorTests
{
    [Fact]
    public void Result_HandComputed_MatchesCountsAndConfusion()
    {
        // Labels [0, 1, 2]; predictions [0, 2, 2].
        var scores = Tensor.FromArray(new float[] { 3, 1, 0, 0, 1, 2, 0, 0, 5 }, 3, 3);
        var labels = Tensor.FromArray(new long[] { 0, 1, 2 }, 3);
        var acc = new AccuracyAccumulator(3, ["cat", "dog", "eel"]);
        acc.Add(scores, labels);
        var r = acc.Result();
        Assert.Equal(3, r.Samples);
        Assert.Equal(2.0 / 3, r.Top1, 12);
        Assert.Null(r.Top5);
        Assert.Equal([1.0, 0.0, 1.0], r.PerClass.Select(c => c.Top1));
        Assert.Equal("dog", r.PerClass[1].Name);
        Assert.Equal([[1L, 0, 0], [0L, 0, 1], [0L, 0, 1]], r.Confusion!);
    }

    [Fact]
    public void Result_SevenClasses_CountsTop5()
    {
        // Label 0 ranks 6th in row 0 (miss), 2nd in row 1 (hit).
        var scores = Tensor.FromArray(new float[] { 0, 6, 5, 4, 3, 2, -1, 1, 2, 0, 0, 0, 0, 0 }, 2, 7);
        var acc = new AccuracyAccumulator(7);
        acc.Add(scores, Tensor.FromArray(new long[] { 0, 0 }, 2));
        Assert.Equal(0.5, acc.Result().Top5);
        Assert.Equal(0.0, acc.Result().Top1);
    }

    [Fact]
    public void Result_ManyClasses_OmitsConfusion()
    {
        var acc = new AccuracyAccumulator(20, maxConfusionClasses: 10);
        acc.Add(Tensor.Zeros(DType.Float32, 1, 20), Tensor.FromArray(new long[] { 0 }, 1));
        Assert.Null(acc.Result().Confusion);
    }

    [Fact]
    public void Add_WrongClassCount_Throws()
    {
        var acc = new AccuracyAccumulator(4);
        Assert.Throws<LowBitException>(() => acc.Add(Tensor.Zeros(DType.Float32, 2, 3), Tensor.FromArray(new long[] { 0, 1 }, 2)));
    }
}
