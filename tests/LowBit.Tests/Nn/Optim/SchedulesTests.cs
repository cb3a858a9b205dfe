using LowBit.Nn.Optim;

namespace LowBit.Tests.Nn.Optim;

public class SchedulesTests
{
    [Fact]
    public void Cosine_KnownPoints()
    {
        var s = new CosineSchedule(1.0, totalSteps: 10, warmupSteps: 2, minLearningRate: 0.1);
        Assert.Equal(0.5, s.At(0), 12);                             // warm-up (0 + 1)/2
        Assert.Equal(1.0, s.At(1), 12);
        Assert.Equal(1.0, s.At(2), 12);                             // cosine starts at η₀
        Assert.Equal(0.1 + 0.9 * 0.5, s.At(6), 12);                 // half way: cos(π/2) = 0
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI / 8)), s.At(3), 12);
        Assert.Equal(0.1, s.At(10), 12);
        Assert.Equal(0.1, s.At(1000), 12);
    }

    [Fact]
    public void Cosine_NoWarmup_StartsAtBase() => Assert.Equal(0.3, new CosineSchedule(0.3, 100).At(0), 12);

    [Fact]
    public void Step_KnownPoints()
    {
        var s = new StepSchedule(1.0, stepSize: 3, gamma: 0.5);
        Assert.Equal(1.0, s.At(0));
        Assert.Equal(1.0, s.At(2));
        Assert.Equal(0.5, s.At(3));
        Assert.Equal(0.25, s.At(7));
    }

    [Fact]
    public void Schedules_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(1, totalSteps: 10, warmupSteps: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1, 10, minLearningRate: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(double.NaN));
    }
}
