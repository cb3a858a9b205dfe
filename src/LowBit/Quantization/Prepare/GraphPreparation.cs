using LowBit.Graph;
using LowBit.Graph.Passes;

namespace LowBit.Quantization.Prepare;

/// <summary>What preparation changed, for the manifest.</summary>
public sealed record PreparationReport(int ConstantsFolded, int BatchNormsFolded, int IdentitiesRemoved, int PairsEqualized = 0);

/// <summary>
/// The float graph the quantizer marks, calibrates and rewrites (issue part 4): a copy of the caller's graph (never
/// modified) with nodes topologically sorted, inference identities removed, constants folded (so every weight is an
/// initializer) and BatchNormalization folded into its Conv/ConvTranspose/Gemm. Conv/Gemm + Relu/Clip pairs are left as
/// two nodes on purpose: the quantizer places Q/DQ after the activation, where ONNX Runtime fuses them.
/// </summary>
internal static class GraphPreparation
{
    /// <param name="equalize">Also run cross-layer equalization after BatchNorm folding (it needs the folded weights).</param>
    public static (Graph.Graph Graph, PreparationReport Report) Run(Graph.Graph source, bool equalize = false)
    {
        var g = GraphCopy.Of(source);
        TopologicalSort.Apply(g);
        int identities = IdentityRemoval.Apply(g);
        int constants = ConstantFolding.Apply(g);
        int bn = FoldBatchNorm.Apply(g);
        int pairs = equalize ? Algorithms.CrossLayerEqualization.Apply(g) : 0;
        return (g, new PreparationReport(constants, bn, identities, pairs));
    }
}
