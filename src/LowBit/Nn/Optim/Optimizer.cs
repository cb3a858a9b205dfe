using LowBit.Tensors;

namespace LowBit.Nn.Optim;

/// <summary>
/// Base of the optimizers: updates float32 initializers of a <see cref="Graph.Graph"/> in place from gradients keyed by
/// initializer name (as <c>TrainingSession.Backward</c> returns them). Parameters default to
/// <see cref="Parameters.Trainable"/>; BatchNormalization running statistics and non-float initializers are never
/// updated, even when named. <see cref="LearningRate"/> may be changed between steps (schedules).
/// State for checkpoints: <see cref="GetState"/>/<see cref="SetState"/> as named tensors: <c>step</c> (int64 scalar) plus
/// per-parameter buffers named <c>{buffer}/{parameter}</c>.
/// </summary>
public abstract class Optimizer
{
    private readonly Func<string, bool> noWeightDecay;
    private readonly string[] names;
    private readonly Dictionary<string, Tensor>[] buffers;

    protected Optimizer(Graph.Graph graph, double learningRate, IEnumerable<string>? parameters, Func<string, bool>? noWeightDecay,
        params string[] bufferNames)
    {
        Graph = graph;
        LearningRate = learningRate;
        this.noWeightDecay = noWeightDecay ?? (_ => false);
        var running = Parameters.RunningStatistics(graph);
        var list = new List<string>();
        foreach (var n in parameters ?? Parameters.Trainable(graph))
        {
            if (!graph.Initializers.TryGetValue(n, out var t))
                throw new LowBitException(ErrorKind.InvalidInput, $"the model has no initializer named '{n}' to optimize");
            if (t.DType == DType.Float32 && !running.Contains(n) && !list.Contains(n)) list.Add(n);
        }
        names = list.ToArray();
        BufferNames = bufferNames;
        buffers = bufferNames.Select(_ => new Dictionary<string, Tensor>(StringComparer.Ordinal)).ToArray();
    }

    public Graph.Graph Graph { get; }
    /// <summary>Initializers this optimizer updates, in order.</summary>
    public IReadOnlyList<string> ParameterNames => names;
    public double LearningRate
    {
        get;
        set => field = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), $"learning rate must be finite and ≥ 0, got {value}");
    }
    /// <summary>Number of <see cref="Step"/> calls so far (t of bias corrections; the index a schedule takes).</summary>
    public long Steps { get; private set; }
    /// <summary>Names of the per-parameter state buffers (PyTorch's names: momentum_buffer, exp_avg, exp_avg_sq).</summary>
    public IReadOnlyList<string> BufferNames { get; }

    /// <summary>Applies one update. Parameters without a gradient in <paramref name="gradients"/> are left unchanged
    /// (their buffers too); gradients are read, never modified.</summary>
    public void Step(IReadOnlyDictionary<string, Tensor> gradients)
    {
        foreach (var n in names)
            if (gradients.TryGetValue(n, out var g))
            {
                var p = Graph.Initializers[n];
                if (g.DType != DType.Float32 || !g.Shape.SequenceEqual(p.Shape))
                    throw new LowBitException(ErrorKind.InvalidInput, $"gradient of '{n}' is {g.DType.Name()} {g.ShapeString}, the parameter is float32 {p.ShapeString}");
            }
        Steps++;
        foreach (var n in names)
        {
            if (!gradients.TryGetValue(n, out var g)) continue;
            Update(n, Graph.Initializers[n].AsSpan<float>(), g.AsReadOnlySpan<float>(), noWeightDecay(n));
        }
    }

    /// <summary>Updates parameter <paramref name="name"/> in place; <see cref="Steps"/> already counts this step.</summary>
    protected abstract void Update(string name, Span<float> p, ReadOnlySpan<float> g, bool noDecay);

    /// <summary>Buffer <paramref name="buffer"/> (an index into <see cref="BufferNames"/>) of a parameter; created as
    /// zeros on first use (<paramref name="created"/> true then).</summary>
    protected Span<float> Buffer(int buffer, string name, out bool created)
    {
        created = !buffers[buffer].TryGetValue(name, out var t);
        if (created) buffers[buffer][name] = t = Tensor.Zeros(DType.Float32, Graph.Initializers[name].Shape);
        return t!.AsSpan<float>();
    }

    /// <summary>A copy of the state: <c>step</c> and every existing buffer as <c>{buffer}/{parameter}</c>.</summary>
    public Dictionary<string, Tensor> GetState()
    {
        var s = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["step"] = Tensor.FromArray(new[] { Steps }, []) };
        for (int b = 0; b < buffers.Length; b++)
            foreach (var (n, t) in buffers[b]) s[$"{BufferNames[b]}/{n}"] = t.Clone();
        return s;
    }

    /// <summary>Replaces the state by a copy of <paramref name="state"/> (as <see cref="GetState"/> returns it); buffers of
    /// parameters missing from it start fresh. Unknown names or mismatched shapes throw.</summary>
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step) || step.Length != 1 || step.DType != DType.Int64 || step.GetInt64(0) < 0)
            throw new LowBitException(ErrorKind.InvalidInput, "optimizer state needs 'step', a non-negative int64 scalar");
        var fresh = buffers.Select(_ => new Dictionary<string, Tensor>(StringComparer.Ordinal)).ToArray();
        foreach (var (key, t) in state)
        {
            if (key == "step") continue;
            int slash = key.IndexOf('/');
            int b = slash < 0 ? -1 : Array.IndexOf(BufferNames.ToArray(), key[..slash]);
            string n = slash < 0 ? "" : key[(slash + 1)..];
            if (b < 0 || !names.Contains(n))
                throw new LowBitException(ErrorKind.InvalidInput, $"optimizer state entry '{key}' names no buffer of a parameter of this {GetType().Name}");
            var p = Graph.Initializers[n];
            if (t.DType != DType.Float32 || !t.Shape.SequenceEqual(p.Shape))
                throw new LowBitException(ErrorKind.InvalidInput, $"optimizer state '{key}' is {t.DType.Name()} {t.ShapeString}, the parameter is float32 {p.ShapeString}");
            fresh[b][n] = t.Clone();
        }
        for (int b = 0; b < buffers.Length; b++)
        {
            buffers[b].Clear();
            foreach (var kv in fresh[b]) buffers[b].Add(kv.Key, kv.Value);
        }
        Steps = step.GetInt64(0);
    }
}
