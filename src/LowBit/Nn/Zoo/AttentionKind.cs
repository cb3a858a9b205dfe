using System.Text.Json.Serialization;

namespace LowBit.Nn.Zoo;

/// <summary>
/// The attention of the zoo transformers (vit-tiny, gpt-tiny). The two outlier-free variants are from Bondarenko, Nagel
/// and Blankevoort 2023, "Quantizable Transformers: Removing Outliers by Helping Attention Heads Do Nothing"
/// (arXiv:2306.12929): a head that wants to leave the residual unchanged needs attention weights of exactly 0 (or a
/// value of 0), which plain softmax only approaches as its logits diverge, and those growing logits are what makes the
/// outliers in the FFN outputs and the residual stream. Both variants give the head a finite way to do nothing.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttentionKind>))]
public enum AttentionKind
{
    /// <summary>A = softmax(q·kᵀ/√d + M).</summary>
    [JsonStringEnumMemberName("vanilla")] Vanilla,
    /// <summary>A = clip((ζ − γ)·softmax(·) + γ, 0, 1) with γ = −α/T, ζ = 1 (<see cref="AttentionVariants.ClippedSoftmax"/>).</summary>
    [JsonStringEnumMemberName("clipped-softmax")] ClippedSoftmax,
    /// <summary>out_h = sigmoid(x_h·w_h + b_h) ⊙ (A·v)_h per head h and token (<see cref="AttentionVariants.Gate"/>).</summary>
    [JsonStringEnumMemberName("gated")] Gated,
}

/// <summary>Names of <see cref="AttentionKind"/> as the CLI and configs spell them, and how a choice reaches a model's options.</summary>
public static class AttentionKinds
{
    private static readonly (AttentionKind Kind, string Name)[] Table =
        [(AttentionKind.Vanilla, "vanilla"), (AttentionKind.ClippedSoftmax, "clipped-softmax"), (AttentionKind.Gated, "gated")];

    /// <summary>"vanilla", "clipped-softmax", "gated".</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    public static string Name(AttentionKind k) => Table.First(t => t.Kind == Check(k)).Name;

    /// <summary>The kind named <paramref name="name"/> (case-insensitive); a usage error listing the names otherwise.</summary>
    public static AttentionKind Parse(string name) =>
        Table.FirstOrDefault(t => string.Equals(t.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) is { Name: not null } hit ? hit.Kind
        : throw new LowBitException(ErrorKind.Usage, $"--attention {name}: unknown attention; use one of {string.Join(", ", Names)}");

    internal static AttentionKind Check(AttentionKind k) => Enum.IsDefined(k) ? k
        : throw new ArgumentOutOfRangeException(nameof(k), $"unknown attention kind {(int)k}");

    /// <summary>Whether zoo model <paramref name="model"/> has attention (takes a non-vanilla kind).</summary>
    public static bool Supports(string model) => ModelZoo.Get(model).DefaultOptions is VitOptions or GptOptions;

    /// <summary>
    /// <paramref name="options"/> for zoo model <paramref name="model"/> with attention <paramref name="kind"/>: vanilla
    /// returns them unchanged; vit-tiny's image options become <see cref="VitOptions"/>; a model without attention is a
    /// usage error naming <c>--attention</c>.
    /// </summary>
    public static ModelOptions Apply(string model, ModelOptions options, AttentionKind kind)
    {
        if (Check(kind) == AttentionKind.Vanilla) return options;
        return options switch
        {
            VitOptions v => v with { Attention = kind },
            GptOptions g => g with { Attention = kind },
            ImageModelOptions i when ModelZoo.Get(model).DefaultOptions is VitOptions => new VitOptions(i, kind),
            _ => throw new LowBitException(ErrorKind.Usage,
                $"--attention {Name(kind)}: {model} has no attention; only vit-tiny and gpt-tiny take --attention"),
        };
    }
}
