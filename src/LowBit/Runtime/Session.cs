using LowBit.Graph;
using LowBit.Kernels;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Runtime;

/// <summary>
/// Runs a <see cref="Graph.Graph"/> on named inputs (DESIGN.md §1: an interpreter over the IR with hooks). Deterministic;
/// reuses intermediate buffers; kernels use <see cref="SessionOptions.Threads"/> threads. Not thread-safe: one Run at a time.
/// </summary>
public sealed class Session
{
    private readonly ExecutionPlan plan;
    private ExecutionPlan? optimized;
    private readonly TensorPool pool = new();
    private readonly List<ValueHook> hooks = new();
    private readonly Dictionary<Graph.Graph, ExecutionPlan> subplans = new();

    public Graph.Graph Graph { get; }
    public SessionOptions Options { get; }

    public Session(Graph.Graph graph, SessionOptions? options = null)
    {
        Graph = graph;
        Options = options ?? new SessionOptions();
        plan = new ExecutionPlan(graph);
    }

    /// <summary>With <see cref="SessionOptions.Profile"/>: wall milliseconds per node (name and op type of the graph that
    /// ran, the optimized copy unless hooks are installed), summed over every Run since the session was made.</summary>
    public Dictionary<(string Node, string OpType), double> NodeTimes { get; } = new();

    /// <summary>Adds a hook called for every value produced (see <see cref="ValueHook"/>).</summary>
    public void AddHook(ValueHook hook) => hooks.Add(hook);
    public void ClearHooks() => hooks.Clear();

    /// <summary>Runs the graph. Returns the graph outputs, or the values named in <paramref name="outputNames"/>
    /// (any intermediate value may be requested).</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string>? outputNames = null)
    {
        var wanted = outputNames?.ToArray() ?? Graph.Outputs.Select(o => o.Name).ToArray();
        foreach (var w in wanted)
            if (!plan.SlotOf.ContainsKey(w))
                throw new LowBitException(ErrorKind.InvalidInput, $"the model has no value named '{w}'");
        var p = PlanFor(wanted);
        var env = new Tensor?[p.SlotNames.Count];
        BindInputs(p, inputs, env);

        var pinned = new HashSet<int>(wanted.Select(w => p.SlotOf[w]));
        int savedDegree = Parallelism.Degree;
        var savedPool = TensorPool.Current;
        Parallelism.Degree = Options.Threads;
        TensorPool.Current = Options.ReuseBuffers ? pool : null;
        try
        {
            Execute(p, env, pinned, name => null);
        }
        finally
        {
            Parallelism.Degree = savedDegree;
            TensorPool.Current = savedPool;
        }
        var result = new Dictionary<string, Tensor>();
        foreach (var w in wanted)
        {
            var t = env[p.SlotOf[w]] ?? throw new LowBitException(ErrorKind.InvalidModel, $"value '{w}' was not computed");
            pool.Disown(t.Data);
            result[w] = t;
        }
        return result;
    }

    /// <summary>The optimized plan (<see cref="SessionOptions.Optimize"/>) unless hooks are installed or a requested value
    /// does not exist in the optimized graph (fused away): those runs use the graph as written.</summary>
    private ExecutionPlan PlanFor(string[] wanted)
    {
        if (!Options.Optimize || hooks.Count > 0) return plan;
        optimized ??= new ExecutionPlan(LowBit.Graph.Passes.InferenceOptimizer.Optimize(Graph));
        return wanted.All(optimized.SlotOf.ContainsKey) ? optimized : plan;
    }

    private void BindInputs(ExecutionPlan plan, IReadOnlyDictionary<string, Tensor> inputs, Tensor?[] env)
    {
        foreach (var (slot, value) in plan.Constants) env[slot] = value;
        var declared = Graph.Inputs.ToDictionary(v => v.Name);
        foreach (var (name, t) in inputs)
        {
            if (!declared.TryGetValue(name, out var info))
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"unknown input '{name}'; the model's inputs are: {string.Join(", ", Graph.Inputs.Select(i => $"{i.Name} {i.DType.Name()} {i.ShapeString}"))}");
            if (info.DType != DType.Undefined && t.DType != info.DType)
                throw new LowBitException(ErrorKind.InvalidInput, $"input '{name}': expected {info.DType.Name()}, got {t.DType.Name()}");
            if (!info.Accepts(t.Shape))
                throw new LowBitException(ErrorKind.InvalidInput, $"input '{name}': expected shape {info.ShapeString}, got {t.ShapeString}");
            env[plan.SlotOf[name]] = t;
        }
        foreach (var v in Graph.Inputs)
            if (env[plan.SlotOf[v.Name]] is null)
                throw new LowBitException(ErrorKind.InvalidInput, $"missing input '{v.Name}' ({v.DType.Name()} {v.ShapeString})");
        foreach (var v in Graph.Inputs)
            foreach (var h in hooks)
                if (h(v.Name, null, env[plan.SlotOf[v.Name]]!) is Tensor r) env[plan.SlotOf[v.Name]] = r;
    }

    private void Execute(ExecutionPlan p, Tensor?[] env, HashSet<int> pinned, Func<string, Tensor?> outer)
    {
        foreach (var (slot, name) in p.OuterRefs)
            env[slot] = outer(name) ?? throw new LowBitException(ErrorKind.InvalidModel, $"subgraph reads '{name}', which is not defined");

        var refs = new Dictionary<Array, int>(ReferenceEqualityComparer.Instance);
        // Storage this plan did not produce (inputs, initializers, outer-scope values of a subgraph) is never recycled
        // here, even when a view of it (Reshape, Identity) is released.
        foreach (var t in env) if (t is not null) refs[t.Data] = int.MaxValue / 2;
        Tensor? Lookup(string name) => p.SlotOf.TryGetValue(name, out int s) && env[s] is Tensor t ? t : outer(name);

        foreach (var step in p.Steps)
        {
            var ins = new Tensor?[step.Inputs.Length];
            for (int i = 0; i < ins.Length; i++) ins[i] = step.Inputs[i] >= 0 ? env[step.Inputs[i]] : null;
            var ctx = new OpContext
            {
                Node = step.Op.Node,
                Opset = step.Op.Opset,
                RunSubgraph = (g, args) => RunSubgraph(g, args, Lookup),
            };
            long started = Options.Profile ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            var outs = step.Op.Invoke(ctx, ins);
            if (Options.Profile)
            {
                var key = (step.Op.Node.Name, step.Op.Node.OpType);
                NodeTimes[key] = NodeTimes.GetValueOrDefault(key) + System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            List<Array>? replaced = null;
            for (int o = 0; o < step.Outputs.Length; o++)
            {
                int slot = step.Outputs[o];
                if (slot < 0) continue;
                var t = o < outs.Length ? outs[o] : null;
                if (t is null) continue;
                var produced = t;
                foreach (var h in hooks)
                    if (h(p.SlotNames[slot], step.Op.Node, t) is Tensor r) t = r;
                if (!ReferenceEquals(produced.Data, t.Data)) (replaced ??= new()).Add(produced.Data);
                env[slot] = t;
                refs[t.Data] = refs.GetValueOrDefault(t.Data) + 1;
            }
            // A hook's replacement leaves the op's own buffer unreferenced: recycle it unless a live value shares it.
            if (replaced is not null)
                foreach (var a in replaced)
                    if (!refs.ContainsKey(a)) pool.Return(a);
            foreach (int slot in step.ReleaseAfter)
            {
                if (pinned.Contains(slot) || env[slot] is not Tensor t) continue;
                env[slot] = null;
                if (refs.TryGetValue(t.Data, out int c))
                {
                    if (c <= 1) { refs.Remove(t.Data); pool.Return(t.Data); }
                    else refs[t.Data] = c - 1;
                }
            }
        }
    }

    private Tensor[] RunSubgraph(Graph.Graph g, IReadOnlyList<Tensor?> args, Func<string, Tensor?> outer)
    {
        if (!subplans.TryGetValue(g, out var sp))
        {
            var scope = new HashSet<string>(g.OuterScopeReferences());
            subplans[g] = sp = new ExecutionPlan(g, scope);
        }
        var env = new Tensor?[sp.SlotNames.Count];
        foreach (var (slot, value) in sp.Constants) env[slot] = value;
        for (int i = 0; i < g.Inputs.Count; i++)
            env[sp.SlotOf[g.Inputs[i].Name]] = i < args.Count ? args[i] : null;
        // Hooks see a body's inputs (Loop-carried state, Scan slices) as they see the main graph's.
        foreach (var v in g.Inputs)
            if (env[sp.SlotOf[v.Name]] is Tensor input)
                foreach (var h in hooks)
                    if (h(v.Name, null, input) is Tensor r) env[sp.SlotOf[v.Name]] = input = r;
        Execute(sp, env, new HashSet<int>(sp.OutputSlots), outer);
        return sp.OutputSlots.Select(s => env[s] ?? throw new LowBitException(ErrorKind.InvalidModel, $"subgraph '{g.Name}' did not compute its output '{sp.SlotNames[s]}'")).ToArray();
    }
}
