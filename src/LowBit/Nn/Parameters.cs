using LowBit.Tensors;

namespace LowBit.Nn;

/// <summary>
/// Which initializers of a graph training updates. An initializer is trainable when it is float32, feeds at least one
/// differentiable operand, is not a rank-0 scalar (exporters store constants such as 1/√d or ε that way) and is not
/// listed in the model property <see cref="FrozenProperty"/>. BatchNormalization running mean/var, Clip bounds, Dropout
/// ratio, shapes, axes and indices are never trainable (they are state or constants). Works for zoo graphs and imported
/// ones alike; pass explicit names to an optimizer for anything else.
/// </summary>
public static class Parameters
{
    /// <summary>Model metadata property listing (comma-separated) value names that are constants, never parameters.
    /// <see cref="GraphBuilder"/> writes it for its Constant nodes, which an importer may turn into initializers.</summary>
    public const string FrozenProperty = "lowbit.frozen";

    /// <summary>(op type, input index) operands that carry no gradient.</summary>
    private static readonly Dictionary<string, int[]> NonDifferentiable = new()
    {
        ["BatchNormalization"] = [3, 4],
        ["Clip"] = [1, 2],
        ["Dropout"] = [1, 2],
        ["Reshape"] = [1],
        ["Slice"] = [1, 2, 3, 4],
        ["Gather"] = [1],
        ["GatherElements"] = [1],
        ["Expand"] = [1],
        ["Tile"] = [1],
        ["Pad"] = [1, 3],
        ["Unsqueeze"] = [1],
        ["Squeeze"] = [1],
        ["ReduceMean"] = [1],
        ["ReduceSum"] = [1],
        ["Resize"] = [1, 2, 3],
        ["QuantizeLinear"] = [1, 2],
        ["DequantizeLinear"] = [1, 2],
    };

    /// <summary>Names of trainable initializers, in initializer order.</summary>
    public static IReadOnlyList<string> Trainable(Graph.Graph graph)
    {
        var differentiable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            var skip = NonDifferentiable.GetValueOrDefault(node.OpType);
            for (int i = 0; i < node.Inputs.Count; i++)
                if (skip is null || Array.IndexOf(skip, i) < 0) differentiable.Add(node.Inputs[i]);
        }
        var frozen = graph.Metadata.Properties.TryGetValue(FrozenProperty, out var list) ? list.Split(',').ToHashSet(StringComparer.Ordinal) : [];
        return graph.Initializers
            .Where(kv => kv.Value.DType == DType.Float32 && kv.Value.Rank > 0 && differentiable.Contains(kv.Key) && !frozen.Contains(kv.Key))
            .Select(kv => kv.Key).ToList();
    }

    /// <summary>Number of trainable parameters (elements of <see cref="Trainable"/> initializers).</summary>
    public static long Count(Graph.Graph graph) => Trainable(graph).Sum(n => (long)graph.Initializers[n].Length);

    /// <summary>BatchNormalization running mean/var initializers (updated by the forward pass in training, never by an optimizer).</summary>
    public static IReadOnlySet<string> RunningStatistics(Graph.Graph graph)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            if (node.OpType == "BatchNormalization")
                for (int i = 3; i < Math.Min(5, node.Inputs.Count); i++)
                    if (graph.Initializers.ContainsKey(node.Inputs[i])) set.Add(node.Inputs[i]);
        return set;
    }

    /// <summary>
    /// The usual no-weight-decay set (Loshchilov &amp; Hutter 2019 decay only weights): initializers of rank ≤ 1 (biases,
    /// norm scales) and scale/bias operands of BatchNormalization, LayerNormalization, InstanceNormalization and
    /// GroupNormalization. Use as an optimizer's no-decay predicate.
    /// </summary>
    public static Func<string, bool> NoWeightDecay(Graph.Graph graph)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in graph.Initializers)
            if (t.Rank <= 1) set.Add(name);
        foreach (var node in graph.Nodes)
            if (node.OpType is "BatchNormalization" or "LayerNormalization" or "InstanceNormalization" or "GroupNormalization")
                for (int i = 1; i < Math.Min(3, node.Inputs.Count); i++) set.Add(node.Inputs[i]);
        return set.Contains;
    }
}
