using LowBit.Tensors;

namespace LowBit.Graph.Passes;

/// <summary>What the passes may treat as a constant: an initializer that is not also a graph input (from IR 4 on, an
/// input with an initializer is an overridable default, so a run may feed a different value).</summary>
internal static class GraphConstants
{
    public static Tensor? Get(Graph g, string name)
    {
        if (!g.Initializers.TryGetValue(name, out var t)) return null;
        foreach (var v in g.Inputs) if (v.Name == name) return null;
        return t;
    }

    public static Tensor? Float32(Graph g, string name) => Get(g, name) is { DType: DType.Float32 } t ? t : null;
}
