using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Onnx;

/// <summary>What an op implementation may know about the node it runs for.</summary>
internal class OpContext
{
    /// <summary>True while training: BatchNormalization uses batch statistics (and updates its running mean/var in
    /// place), Dropout drops. False for inference.</summary>
    public bool Training { get; init; }
    /// <summary>Seeded generator for stochastic ops in training (Dropout); null in inference.</summary>
    public Random? Rng { get; init; }
    /// <summary>Forward ops may leave values here for their backward (e.g. batch mean and inverse std); kept on the tape.</summary>
    public object? Saved { get; set; }

    public required Node Node { get; init; }
    /// <summary>Opset of the node's domain in the model.</summary>
    public required long Opset { get; init; }
    /// <summary>Runs a subgraph (If/Loop body) with the given inputs; outer-scope names resolve in the calling graph.</summary>
    public Func<Graph.Graph, IReadOnlyList<Tensor?>, Tensor[]>? RunSubgraph { get; init; }

    public int OutputCount => Node.Outputs.Count;
    /// <summary>True when output <paramref name="i"/> exists in the node and has a name (is consumed or returned).</summary>
    public bool WantsOutput(int i) => i < Node.Outputs.Count && Node.Outputs[i].Length > 0;

    public LowBitException Error(string message) =>
        new(ErrorKind.InvalidModel, $"node {Node.DisplayName} ({Node.OpType}): {message}");
}
