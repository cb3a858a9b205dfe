using LowBit.Nn.Optim;

namespace LowBit.Nn.Training;

/// <summary>Builds the learning-rate schedule of a config over S = epochs · steps-per-epoch steps with
/// W = round(warm-up epochs · steps-per-epoch) warm-up steps.</summary>
internal static class LearningRates
{
    public static ILearningRateSchedule For(TrainingConfig c, int stepsPerEpoch)
    {
        long total = Math.Max(1L, (long)c.Epochs * stepsPerEpoch);
        long warmup = Math.Min(total, (long)Math.Round(c.WarmupEpochs * stepsPerEpoch));
        return c.Schedule switch
        {
            ScheduleKind.Cosine => new CosineSchedule(c.LearningRate, total, warmup),
            ScheduleKind.Step => new Warmup(new StepSchedule(c.LearningRate, (long)c.StepEpochs * Math.Max(1, stepsPerEpoch), c.StepGamma), c.LearningRate, warmup),
            _ => new Warmup(new ConstantSchedule(c.LearningRate), c.LearningRate, warmup),
        };
    }

    /// <summary>η(s) = η₀·(s + 1)/W for s &lt; W, then the inner schedule's η(s).</summary>
    private sealed class Warmup(ILearningRateSchedule inner, double peak, long steps) : ILearningRateSchedule
    {
        public double At(long step) => step < steps ? peak * (step + 1) / steps : inner.At(step);
    }
}
