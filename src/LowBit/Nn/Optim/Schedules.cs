namespace LowBit.Nn.Optim;

/// <summary>Learning rate as a function of the optimizer step s = 0, 1, 2, … (the number of steps already taken, so
/// a loop sets <c>optimizer.LearningRate = schedule.At(optimizer.Steps)</c> before each step).</summary>
public interface ILearningRateSchedule
{
    double At(long step);
}

/// <summary>η(s) = η₀.</summary>
public sealed record ConstantSchedule : ILearningRateSchedule
{
    public ConstantSchedule(double baseLearningRate)
    {
        Check(baseLearningRate);
        BaseLearningRate = baseLearningRate;
    }

    public double BaseLearningRate { get; }
    public double At(long step) => BaseLearningRate;

    internal static void Check(double lr)
    {
        if (!(lr >= 0) || !double.IsFinite(lr)) throw new ArgumentOutOfRangeException(nameof(lr), $"learning rate must be finite and ≥ 0, got {lr}");
    }
}

/// <summary>
/// Linear warm-up then cosine decay (Loshchilov &amp; Hutter 2017, SGDR without restarts; warm-up of Goyal et al. 2017):
/// <code>
/// s &lt; W:  η = η₀·(s + 1)/W
/// s ≥ W:  η = η_min + (η₀ − η_min)·½·(1 + cos(π·min(1, (s − W)/(S − W))))
/// </code>
/// with W warm-up steps and S total steps; η stays at η_min from s = S on.
/// </summary>
public sealed record CosineSchedule : ILearningRateSchedule
{
    public CosineSchedule(double baseLearningRate, long totalSteps, long warmupSteps = 0, double minLearningRate = 0)
    {
        ConstantSchedule.Check(baseLearningRate);
        ConstantSchedule.Check(minLearningRate);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), "total steps must be at least 1");
        if (warmupSteps < 0 || warmupSteps > totalSteps) throw new ArgumentOutOfRangeException(nameof(warmupSteps), "warm-up steps must be in [0, total steps]");
        if (minLearningRate > baseLearningRate) throw new ArgumentOutOfRangeException(nameof(minLearningRate), "the minimum learning rate exceeds the base rate");
        BaseLearningRate = baseLearningRate;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinLearningRate = minLearningRate;
    }

    public double BaseLearningRate { get; }
    public long TotalSteps { get; }
    public long WarmupSteps { get; }
    public double MinLearningRate { get; }

    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step));
        if (step < WarmupSteps) return BaseLearningRate * (step + 1) / WarmupSteps;
        double progress = TotalSteps == WarmupSteps ? 1 : Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return MinLearningRate + (BaseLearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>Step decay: η(s) = η₀·γ^⌊s / k⌋ (every k steps the rate is multiplied by γ).</summary>
public sealed record StepSchedule : ILearningRateSchedule
{
    public StepSchedule(double baseLearningRate, long stepSize, double gamma = 0.1)
    {
        ConstantSchedule.Check(baseLearningRate);
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), "step size must be at least 1");
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), "gamma must be in (0, 1]");
        BaseLearningRate = baseLearningRate;
        StepSize = stepSize;
        Gamma = gamma;
    }

    public double BaseLearningRate { get; }
    public long StepSize { get; }
    public double Gamma { get; }

    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step));
        return BaseLearningRate * Math.Pow(Gamma, step / StepSize);
    }
}
