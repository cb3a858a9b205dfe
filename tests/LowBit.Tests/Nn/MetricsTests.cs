using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Tests.Nn;

public class MetricsTests
{
    private static readonly Tensor Logits = Tensor.FromArray(new[]
    {
        0.1f, 0.7f, 0.2f, 0.0f,   // ranks: 1, 2, 0, 3
        0.5f, 0.5f, 0.1f, 0.9f,   // tie between 0 and 1: class 0 ranks first
        1.0f, 0.0f, 0.0f, 0.0f,
    }, 3, 4);

    [Fact]
    public void ArgMax_FirstMaximumWins() => Assert.Equal([1L, 3L, 0L], Metrics.ArgMax(Logits));

    [Fact]
    public void TopK_CountsTargetsAmongKBest()
    {
        var targets = Tensor.FromArray(new long[] { 2, 1, 0 }, 3);
        Assert.Equal(1, Metrics.CorrectTopK(Logits, targets, 1));   // only row 2
        Assert.Equal(2, Metrics.CorrectTopK(Logits, targets, 2));   // row 0 (class 2 is second)
        Assert.Equal(3, Metrics.CorrectTopK(Logits, targets, 3));   // row 1: class 1 is third (3 > 0 tie-break)
        Assert.Equal(1.0 / 3, Metrics.Accuracy(Logits, targets), 12);
        Assert.Equal(2.0 / 3, Metrics.TopKAccuracy(Logits, targets, 2), 12);
    }

    [Fact]
    public void Accuracy_SequenceLogits()
    {
        var logits = Tensor.FromArray(new[] { 1f, 0f, 0f, 1f, 1f, 0f, 0f, 1f }, 2, 2, 2);
        Assert.Equal(0.75, Metrics.Accuracy(logits, Tensor.FromArray(new long[] { 0, 1, 0, 0 }, 2, 2)), 12);
    }
}
