using LowBit.Graph;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Op type → quantizer, default ONNX domain only (DESIGN.md §3: adding an op is one file and one row). Unlisted ops
/// stay float; <see cref="QuantizerConfig.OptionalOpTypes"/> are listed but used only when the config asks.
/// </summary>
internal static class QdqRegistry
{
    private static readonly IOpQuantizer PassThrough = new PassThroughQuantizer();

    private static readonly Dictionary<string, IOpQuantizer> Ops = new(StringComparer.Ordinal)
    {
        ["Conv"] = new ConvQuantizer(),
        ["ConvTranspose"] = new ConvQuantizer(),
        ["Gemm"] = new GemmQuantizer(),
        ["MatMul"] = new MatMulQuantizer(),
        ["Add"] = new BinaryQuantizer(),
        ["Mul"] = new BinaryQuantizer(),
        ["Concat"] = new ConcatQuantizer(),
        ["Relu"] = new ActivationQuantizer(),
        ["Clip"] = new ActivationQuantizer(),
        ["MaxPool"] = new PassThroughQuantizer(outputs: 1),
        ["AveragePool"] = PassThrough,
        ["GlobalAveragePool"] = PassThrough,
        ["GlobalMaxPool"] = PassThrough,
        ["Reshape"] = PassThrough,
        ["Flatten"] = PassThrough,
        ["Transpose"] = PassThrough,
        ["Squeeze"] = PassThrough,
        ["Unsqueeze"] = PassThrough,
        ["Slice"] = PassThrough,
        ["Gather"] = PassThrough,
        ["Resize"] = PassThrough,
        ["Split"] = PassThrough,
        ["Pad"] = PassThrough,
        ["LSTM"] = new RecurrentQuantizer(),
        ["GRU"] = new RecurrentQuantizer(),
        ["RNN"] = new RecurrentQuantizer(),
    };

    private static readonly Dictionary<string, IOpQuantizer> Optional = new(StringComparer.Ordinal)
    {
        ["Softmax"] = new InputOutputQuantizer(),
        ["LayerNormalization"] = new InputOutputQuantizer(),
        ["Gelu"] = new InputOutputQuantizer(),
    };

    /// <summary>Op types with a quantizer (optional ones included).</summary>
    public static IEnumerable<string> OpTypes => Ops.Keys.Concat(Optional.Keys);

    public static IOpQuantizer? For(Node n, IReadOnlyList<string> optionalOps)
    {
        if (n.Domain.Length != 0) return null;
        if (Ops.TryGetValue(n.OpType, out var q)) return q;
        return optionalOps.Contains(n.OpType) && Optional.TryGetValue(n.OpType, out var o) ? o : null;
    }

    public static string FloatReason(Node n) =>
        n.Domain.Length != 0 ? $"op {n.Domain}.{n.OpType} has no quantizer"
        : Optional.ContainsKey(n.OpType) ? $"{n.OpType} stays float unless the config lists it"
        : $"op {n.OpType} has no quantizer (stays float)";
}
