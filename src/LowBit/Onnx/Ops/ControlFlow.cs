using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>If and Loop: run subgraphs through <see cref="OpContext.RunSubgraph"/> (outer-scope names resolve in the
/// calling graph). Tensors only; sequence/optional-typed branches are rejected at import classification.</summary>
internal static class ControlFlow
{
    [Op("If", 1)]
    public static Tensor?[] If(OpContext ctx, Tensor cond, Graph.Graph then_branch, Graph.Graph else_branch)
    {
        if (cond.Length != 1) throw new ArgumentException($"If: cond must have one element, got {cond.ShapeString}");
        var branch = cond.GetDouble(0) != 0 ? then_branch : else_branch;
        var outs = Run(ctx, branch, Array.Empty<Tensor?>());
        if (outs.Length != ctx.OutputCount)
            throw ctx.Error($"branch '{branch.Name}' has {outs.Length} outputs, the node {ctx.OutputCount}");
        return outs;
    }

    /// <summary>
    /// Loop: body(i, cond, v_1..v_N) → (cond', v_1'..v_N', s_1..s_K). Runs while (M absent or i &lt; M) and (cond absent or
    /// cond); with neither given the loop would never end and is refused. Outputs: the final v (the initial values when
    /// no iteration runs) and each scan output s_k stacked over iterations on a new leading axis.
    /// </summary>
    [Op("Loop", 1)]
    public static Tensor?[] Loop(OpContext ctx, Graph.Graph body, Tensor? M = null, Tensor? cond = null, params Tensor[] v_initial)
    {
        int n = v_initial.Length, k = body.Outputs.Count - 1 - n;
        if (body.Inputs.Count != n + 2 || k < 0)
            throw ctx.Error($"body has {body.Inputs.Count} inputs and {body.Outputs.Count} outputs for {n} loop-carried values");
        if (v_initial.Any(v => v is null)) throw ctx.Error("loop-carried initial values must all be given");
        if (M is null && cond is null) throw ctx.Error("neither trip count M nor cond is given: the loop would never end");
        long trips = M is null ? long.MaxValue : ShapeArgs.Longs(M)[0];
        bool go = cond is null || cond.GetDouble(0) != 0;
        var state = (Tensor[])v_initial.Clone();
        var scans = Enumerable.Range(0, k).Select(_ => new List<Tensor>()).ToArray();
        using (Unpooled())
            for (long i = 0; i < trips && go; i++)
            {
                var args = new Tensor?[n + 2];
                args[0] = Tensor.Scalar(i);
                args[1] = Tensor.Scalar(go);
                for (int j = 0; j < n; j++) args[j + 2] = state[j];
                var outs = Run(ctx, body, args);
                if (cond is not null) go = outs[0].GetDouble(0) != 0;
                for (int j = 0; j < n; j++) state[j] = outs[1 + j];
                for (int j = 0; j < k; j++) scans[j].Add(outs[1 + n + j]);
            }
        var result = new Tensor?[n + k];
        for (int j = 0; j < n; j++) result[j] = state[j];
        for (int j = 0; j < k; j++)
            result[n + j] = scans[j].Count > 0 ? Stack(scans[j], 0) : EmptyScan(body.Outputs[1 + n + j]);
        return result;
    }

    /// <summary>
    /// Runs loop bodies without the session's buffer pool until disposed. A body's outputs are rented buffers that only
    /// the next iteration reads; the pool cannot see when they die, so with it memory would grow with the trip count.
    /// Unpooled, the garbage collector reclaims each iteration's values.
    /// </summary>
    internal static IDisposable Unpooled() => new PoolScope();

    private sealed class PoolScope : IDisposable
    {
        private readonly TensorPool? saved = TensorPool.Current;
        public PoolScope() => TensorPool.Current = null;
        public void Dispose() => TensorPool.Current = saved;
    }

    internal static Tensor[] Run(OpContext ctx, Graph.Graph g, IReadOnlyList<Tensor?> args) =>
        (ctx.RunSubgraph ?? throw ctx.Error("no subgraph runner in this context"))(g, args);

    /// <summary>Stacks equally shaped tensors on a new axis (Unsqueeze each, then Concat).</summary>
    internal static Tensor Stack(IReadOnlyList<Tensor> items, int axis)
    {
        var first = items[0];
        foreach (var t in items)
            if (!t.Shape.SequenceEqual(first.Shape) || t.DType != first.DType)
                throw new ArgumentException($"scan outputs change from {first.DType.Name()}{first.ShapeString} to {t.DType.Name()}{t.ShapeString} between iterations");
        var shape = first.Shape.ToList();
        shape.Insert(axis, 1);
        var views = items.Select(t => (Tensor?)t.Reshape(shape.ToArray())).ToArray();
        return ConcatOps.DoConcat(views, axis);
    }

    /// <summary>A scan output of zero iterations: [0, declared dims...] when the body declares a static shape, else [0].</summary>
    private static Tensor EmptyScan(ValueInfo info)
    {
        var dtype = info.DType == DType.Undefined ? DType.Float32 : info.DType;
        var dims = new List<int> { 0 };
        if (info.Shape is not null && info.Shape.All(d => d.Value is not null)) dims.AddRange(info.Shape.Select(d => (int)d.Value!.Value));
        return Tensor.Zeros(dtype, dims.ToArray());
    }
}
