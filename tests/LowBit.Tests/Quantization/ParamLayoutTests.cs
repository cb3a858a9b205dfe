using LowBit.Quantization;

namespace LowBit.Tests.Quantization;

public class ParamLayoutTests
{
    [Theory]
    [InlineData(new[] { 4, 6, 5 }, "channel", 1)]
    [InlineData(new[] { 4, 6 }, "channel", 1)]
    [InlineData(new[] { 40, 3 }, "group", 0)]
    [InlineData(new[] { 3, 40 }, "group", 1)]
    [InlineData(new[] { 2, 0, 3 }, "channel", 0)]
    public void Runs_CoverEveryElementOnceInOrder(int[] shape, string kind, int axis)
    {
        Granularity g = kind == "channel" ? new PerChannel(axis) : new PerGroup(axis, 16);
        int n = shape.Aggregate(1, (a, b) => a * b), next = 0;
        int slots = QuantParams.ScaleShapeFor(shape, g).Aggregate(1, (a, b) => a * b);
        foreach (var run in ParamLayout.Runs(shape, g))
        {
            Assert.Equal(next, run.Start);
            Assert.InRange(run.Step, 0, 1);
            Assert.InRange(run.Param + (run.Length - 1) * run.Step, 0, slots - 1);
            next += run.Length;
        }
        Assert.Equal(n, next);
    }
}
