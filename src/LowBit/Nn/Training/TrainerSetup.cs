namespace LowBit.Nn.Training;

/// <summary>
/// What <see cref="Trainer.ForGraph"/> adds to a plain run: the parameters to update (null: every trainable initializer,
/// <see cref="Nn.Parameters.Trainable"/>), more names kept free of weight decay, a hook run after every optimizer step
/// (constraints such as positive quantizer scales), a gradient filter run before it, and a teacher for distillation (Hinton et al. 2015): the loss becomes
/// (1 − α)·cross-entropy + α·τ²·KL(softmax(teacher/τ) ‖ softmax(student/τ)), the teacher run in inference mode on the
/// same batch; and a guide network whose intermediate representations chosen layers of the student are aligned to.
/// </summary>
public sealed record TrainerSetup
{
    public IReadOnlyList<string>? Parameters { get; init; }
    public Func<string, bool>? NoWeightDecay { get; init; }
    public Action? AfterStep { get; init; }
    /// <summary>Applied to every parameter's gradient (name, dL/dp) before clipping and the optimizer step; returns the
    /// gradient to use (e.g. with frozen elements zeroed, for partial retraining).</summary>
    public Func<string, Tensors.Tensor, Tensors.Tensor>? GradientFilter { get; init; }
    /// <summary>A guide network for representation alignment (<see cref="Alignment.Cka"/>): its first input takes the student's
    /// input; <see cref="Align"/> pairs student values with guide values (any layers, widths may differ).</summary>
    public Graph.Graph? Guide { get; init; }
    public IReadOnlyList<(string Student, string Guide)> Align { get; init; } = [];
    /// <summary>λ ≥ 0: the loss adds λ·Σ_pairs (1 − CKA).</summary>
    public double AlignmentWeight
    {
        get;
        init => field = value >= 0 && double.IsFinite(value) ? value : throw new LowBitException(ErrorKind.Usage, $"--align-weight: {value} must be a finite number ≥ 0");
    } = 1;
    /// <summary>The teacher model (its first input takes the student's input, its first output are logits of the same classes).</summary>
    public Graph.Graph? Teacher { get; init; }
    /// <summary>α in [0, 1]: the weight of the distillation term.</summary>
    public double DistillationWeight
    {
        get;
        init => field = value is >= 0 and <= 1 ? value : throw new LowBitException(ErrorKind.Usage, $"--distill-weight: {value} must be in [0, 1]");
    } = 0.5;
    /// <summary>τ &gt; 0.</summary>
    public double Temperature
    {
        get;
        init => field = value > 0 && double.IsFinite(value) ? value : throw new LowBitException(ErrorKind.Usage, $"--temperature: {value} must be a positive number");
    } = 4;
}
