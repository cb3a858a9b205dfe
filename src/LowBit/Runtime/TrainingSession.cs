using LowBit.Kernels;
using LowBit.Onnx;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Runtime;

/// <summary>
/// Runs a graph forward while recording a tape, then backward (reverse mode) to get gradients of any initializer or
/// input. Training is the same <see cref="Graph.Graph"/> executed with <c>Training = true</c> (DESIGN.md §1): BatchNormalization
/// uses batch statistics and updates its running statistics in place; Dropout drops. No buffers are reused while the
/// tape is alive.
/// </summary>
public sealed class TrainingSession
{
    private sealed record Entry(ExecutionPlan.Step Step, Tensor?[] Inputs, Tensor?[] Outputs, object? Saved);

    private readonly ExecutionPlan plan;
    private readonly List<Entry> tape = new();
    private readonly Dictionary<Graph.Node, BoundOp> gradOps = new();
    private Tensor?[]? env;
    private Random rng;

    public Graph.Graph Graph { get; }
    public SessionOptions Options { get; }

    public TrainingSession(Graph.Graph graph, SessionOptions? options = null, int seed = 0)
    {
        Graph = graph;
        Options = options ?? new SessionOptions();
        plan = new ExecutionPlan(graph);
        rng = new Random(seed);
    }

    /// <summary>Runs forward. With <paramref name="training"/> the tape is recorded for <see cref="Backward"/>;
    /// <paramref name="recordTape"/> records it in inference mode too (BatchNormalization with its running statistics,
    /// Dropout the identity), so Backward gives gradients of the inference function.
    /// Returns the graph outputs plus any extra values named in <paramref name="outputNames"/>.</summary>
    public Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs, bool training = true, IEnumerable<string>? outputNames = null,
        bool recordTape = false)
    {
        bool record = training || recordTape;
        tape.Clear();
        var e = new Tensor?[plan.SlotNames.Count];
        foreach (var (slot, value) in plan.Constants) e[slot] = value;
        foreach (var v in Graph.Inputs)
        {
            if (!inputs.TryGetValue(v.Name, out var t))
                throw new LowBitException(ErrorKind.InvalidInput, $"missing input '{v.Name}' ({v.DType.Name()} {v.ShapeString})");
            e[plan.SlotOf[v.Name]] = t;
        }
        int saved = Parallelism.Degree;
        var savedPool = TensorPool.Current;
        Parallelism.Degree = Options.Threads;
        TensorPool.Current = null;
        try
        {
            foreach (var step in plan.Steps)
            {
                var ins = step.Inputs.Select(i => i >= 0 ? e[i] : null).ToArray();
                var ctx = new OpContext { Node = step.Op.Node, Opset = step.Op.Opset, Training = training, Rng = training ? rng : null };
                var outs = step.Op.Invoke(ctx, ins);
                for (int o = 0; o < step.Outputs.Length; o++)
                    if (step.Outputs[o] >= 0 && o < outs.Length) e[step.Outputs[o]] = outs[o];
                if (record) tape.Add(new Entry(step, ins, outs, ctx.Saved));
            }
        }
        finally
        {
            Parallelism.Degree = saved;
            TensorPool.Current = savedPool;
        }
        env = e;
        var names = Graph.Outputs.Select(o => o.Name).Concat(outputNames ?? []).Distinct();
        return names.ToDictionary(n => n, n => e[plan.SlotOf[n]] ?? throw new LowBitException(ErrorKind.InvalidModel, $"value '{n}' was not computed"));
    }

    /// <summary>
    /// Back-propagates <paramref name="outputGrads"/> (dLoss/dValue for some values of the last <see cref="Forward"/>) and
    /// returns dLoss/dx for each name in <paramref name="wrt"/> (initializers or inputs); a name the loss does not depend on
    /// gets zeros.
    /// </summary>
    public Dictionary<string, Tensor> Backward(IReadOnlyDictionary<string, Tensor> outputGrads, IEnumerable<string> wrt)
    {
        if (env is null || tape.Count == 0) throw new InvalidOperationException("Backward needs a Forward with training = true first");
        var wrtSlots = wrt.Select(n => plan.SlotOf.TryGetValue(n, out int s) ? s
            : throw new LowBitException(ErrorKind.InvalidInput, $"the model has no value named '{n}'")).ToHashSet();

        // Which slots depend on a wrt slot (only those need gradients).
        var requires = new bool[plan.SlotNames.Count];
        foreach (int s in wrtSlots) requires[s] = true;
        foreach (var entry in tape)
            if (entry.Step.Inputs.Any(i => i >= 0 && requires[i]))
                foreach (int o in entry.Step.Outputs) if (o >= 0) requires[o] = true;

        var grads = new Tensor?[plan.SlotNames.Count];
        foreach (var (name, g) in outputGrads) grads[plan.SlotOf[name]] = g;

        int saved = Parallelism.Degree;
        Parallelism.Degree = Options.Threads;
        try
        {
            for (int k = tape.Count - 1; k >= 0; k--)
            {
                var entry = tape[k];
                var step = entry.Step;
                var outGrads = step.Outputs.Select(o => o >= 0 ? grads[o] : null).ToArray();
                if (outGrads.All(g => g is null)) continue;
                var needs = step.Inputs.Select(i => i >= 0 && requires[i]).ToArray();
                if (!needs.Any(x => x)) continue;
                var node = step.Op.Node;
                if (!gradOps.TryGetValue(node, out var gop)) gradOps[node] = gop = GradTable.Bind(node, step.Op.Opset);
                var ctx = new GradContext
                {
                    Node = node, Opset = step.Op.Opset, Training = true, Saved = entry.Saved,
                    Outputs = entry.Outputs, OutputGrads = outGrads, NeedsInputGrad = needs,
                };
                var inGrads = gop.Invoke(ctx, entry.Inputs);
                for (int i = 0; i < step.Inputs.Length && i < inGrads.Length; i++)
                {
                    int slot = step.Inputs[i];
                    if (slot < 0 || !needs[i] || inGrads[i] is not Tensor g) continue;
                    var input = entry.Inputs[i]!;
                    if (!g.Shape.SequenceEqual(input.Shape))
                        throw new InvalidOperationException($"gradient of {node.DisplayName} input {i} has shape {g.ShapeString}, input has {input.ShapeString}");
                    grads[slot] = grads[slot] is Tensor prev ? GradMath.Add(prev, g) : g;
                }
            }
        }
        finally
        {
            Parallelism.Degree = saved;
        }
        var result = new Dictionary<string, Tensor>();
        foreach (int s in wrtSlots)
            result[plan.SlotNames[s]] = grads[s] ?? Tensor.Zeros(DType.Float32, env[s]!.Shape);
        return result;
    }

    /// <summary>Restarts the generator Dropout draws its masks from, so a step's masks can be a function of (seed, step)
    /// and a resumed run reproduces them.</summary>
    public void Reseed(int seed) => rng = new Random(seed);

    /// <summary>Drops the tape (frees activations) without running backward.</summary>
    public void ClearTape()
    {
        tape.Clear();
        env = null;
    }
}
