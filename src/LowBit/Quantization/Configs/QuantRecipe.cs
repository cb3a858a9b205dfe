namespace LowBit.Quantization;

/// <summary>
/// A per-node change to the global config: keep the node float, or quantize its weights and/or the activations it
/// marks (its inputs and outputs) differently. Keeping a node float excludes it; it cannot be combined with formats.
/// </summary>
public sealed record NodeOverride
{
    public bool KeepFloat { get; }
    public WeightQuantConfig? Weights { get; }
    public ActivationQuantConfig? Activations { get; }

    public NodeOverride(bool keepFloat = false, WeightQuantConfig? weights = null, ActivationQuantConfig? activations = null)
    {
        if (keepFloat && (weights is not null || activations is not null))
            throw new LowBitException(ErrorKind.Usage, "a node kept float takes no weight or activation settings");
        if (!keepFloat && weights is null && activations is null)
            throw new LowBitException(ErrorKind.Usage, "a node override needs \"float\", weights or activations");
        KeepFloat = keepFloat;
        Weights = weights;
        Activations = activations;
    }

    public static NodeOverride Float { get; } = new(keepFloat: true);
}

/// <summary>
/// Per-node overrides and exclusions, usually read from a recipe JSON file (<see cref="Parse"/>, format in
/// docs/quantization.md). Node names are checked against the model when quantizing: unknown ones are an error listing the
/// model's node names.
/// </summary>
public sealed partial record QuantRecipe
{
    public IReadOnlyDictionary<string, NodeOverride> Nodes { get; }
    public IReadOnlyList<string> ExcludeNodes { get; }
    public IReadOnlyList<string> ExcludeOpTypes { get; }

    public QuantRecipe(IReadOnlyDictionary<string, NodeOverride>? nodes = null, IEnumerable<string>? excludeNodes = null, IEnumerable<string>? excludeOpTypes = null)
    {
        Nodes = new Dictionary<string, NodeOverride>(nodes ?? new Dictionary<string, NodeOverride>(), StringComparer.Ordinal);
        ExcludeNodes = (excludeNodes ?? []).ToArray();
        ExcludeOpTypes = (excludeOpTypes ?? []).ToArray();
        foreach (var n in ExcludeNodes)
            if (Nodes.TryGetValue(n, out var o) && !o.KeepFloat)
                throw new LowBitException(ErrorKind.Usage, $"recipe: node '{n}' is both excluded and given formats");
    }

    /// <summary>Equality by content (the manifest round trip compares recipes).</summary>
    public bool Equals(QuantRecipe? other) =>
        other is not null && ExcludeNodes.SequenceEqual(other.ExcludeNodes) && ExcludeOpTypes.SequenceEqual(other.ExcludeOpTypes)
        && Nodes.Count == other.Nodes.Count && Nodes.All(kv => other.Nodes.TryGetValue(kv.Key, out var o) && o == kv.Value);

    public override int GetHashCode() => HashCode.Combine(Nodes.Count, ExcludeNodes.Count, ExcludeOpTypes.Count);
}
