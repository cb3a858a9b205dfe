using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Nn.Optim;

/// <summary>SGD hyperparameters. <paramref name="decoupledWeightDecay"/> shrinks weights directly (SGDW, Loshchilov &amp;
/// Hutter 2019) instead of adding λ·p to the gradient (L2, PyTorch SGD's weight_decay).</summary>
public sealed record SgdOptions
{
    public SgdOptions(double learningRate = 0.1, double momentum = 0, double dampening = 0, bool nesterov = false,
        double weightDecay = 0, bool decoupledWeightDecay = false)
    {
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), "learning rate must be finite and ≥ 0");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), "momentum must be in [0, 1)");
        if (!(dampening >= 0 && dampening <= 1)) throw new ArgumentOutOfRangeException(nameof(dampening), "dampening must be in [0, 1]");
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), "weight decay must be finite and ≥ 0");
        if (nesterov && (momentum == 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening 0", nameof(nesterov));
        LearningRate = learningRate;
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupledWeightDecay;
    }

    public double LearningRate { get; }
    public double Momentum { get; }
    public double Dampening { get; }
    public bool Nesterov { get; }
    public double WeightDecay { get; }
    public bool DecoupledWeightDecay { get; }
}

/// <summary>
/// Stochastic gradient descent with momentum, as PyTorch's <c>torch.optim.SGD</c> (Sutskever et al. 2013 form):
/// <code>
/// d = g + λ·p                                   (L2; decoupled instead: p ← p·(1 − η·λ), d = g)
/// b = d at the first step, else μ·b + (1 − τ)·d   (momentum μ, dampening τ; skipped when μ = 0)
/// d = d + μ·b (Nesterov) or d = b
/// p ← p − η·d
/// </code>
/// State buffer: <c>momentum_buffer</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private float[] scratch = [];

    public SgdOptions Options { get; }

    /// <param name="parameters">Initializers to update (default: <see cref="Parameters.Trainable"/>).</param>
    /// <param name="noWeightDecay">Parameters exempt from weight decay (e.g. <see cref="Parameters.NoWeightDecay"/>).</param>
    public Sgd(Graph.Graph graph, SgdOptions options, IEnumerable<string>? parameters = null, Func<string, bool>? noWeightDecay = null)
        : base(graph, options.LearningRate, parameters, noWeightDecay, "momentum_buffer") => Options = options;

    protected override void Update(string name, Span<float> p, ReadOnlySpan<float> g, bool noDecay)
    {
        var o = Options;
        float lr = (float)LearningRate, wd = noDecay ? 0f : (float)o.WeightDecay, mu = (float)o.Momentum;
        if (scratch.Length < p.Length) scratch = new float[p.Length];
        var d = scratch.AsSpan(0, p.Length);
        if (wd != 0 && o.DecoupledWeightDecay) TensorPrimitives.Multiply(p, 1f - lr * wd, p);
        if (wd != 0 && !o.DecoupledWeightDecay) TensorPrimitives.MultiplyAdd(p, wd, g, d);
        else g.CopyTo(d);
        if (mu != 0)
        {
            var b = Buffer(0, name, out bool created);
            if (created) d.CopyTo(b);
            else
            {
                TensorPrimitives.Multiply(b, mu, b);
                TensorPrimitives.MultiplyAdd(d, (float)(1 - o.Dampening), b, b);
            }
            if (o.Nesterov) TensorPrimitives.MultiplyAdd(b, mu, d, d);
            else b.CopyTo(d);
        }
        TensorPrimitives.MultiplyAdd(d, -lr, p, p);
    }
}
