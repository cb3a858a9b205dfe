using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// RSQ's attention concentration (Sung et al. 2025, "RSQ: Learning from Important Tokens Leads to Better Quantized
/// LLMs", arXiv:2503.01820): a token matters as much as the attention it receives, and GPTQ's layer objective weighs it
/// so, Σ_t r_t²·‖(W − Ŵ)·x_t‖² (the token features scaled by r_t, so H = Σ_t r_t²·x_t·x_tᵀ).
/// <para><b>Which attention.</b> An attention probability tensor is the output of a Softmax that a MatMul reads as its
/// first input (P·V), shaped [L, T, T] after flattening its leading dimensions (batch × heads). A layer takes the one
/// nearest to it in graph order (in a transformer block the Q/K/V and output projections sit next to their block's
/// attention, the MLP between it and the next block's).</para>
/// <para><b>Importance.</b> r[b, t] = (1/H)·Σ_h Σ_q P[b, h, q, t]: the attention token t receives, summed over queries and
/// averaged over the H heads. Every query row sums to 1, so r has mean 1 over t: the Hessian's scale (and GPTQ's
/// dampening, relative to its mean diagonal) is unchanged on average. With causal attention early tokens receive more
/// (token 0 is seen by every query), the positional bias the paper counters with more, shifted calibration sequences.</para>
/// <para><b>Positions.</b> The layer's input rows (<see cref="Patches"/>, [B·T, K]) map to tokens as row p ↦ (b = p / T,
/// t = p mod T); with H = L / B heads. A layer whose rows do not split that way gets no weighting (null).</para>
/// </summary>
internal static class TokenImportance
{
    /// <summary>The output of the attention Softmax nearest to <paramref name="node"/> in <paramref name="g"/>'s node
    /// order, or null when the graph has none.</summary>
    public static string? NearestAttention(Graph.Graph g, Graph.Node node)
    {
        var readers = g.Consumers();
        int at = g.Nodes.IndexOf(node);
        string? best = null;
        int distance = int.MaxValue;
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            if (n.OpType != "Softmax" || n.Domain.Length != 0) continue;
            if (!readers.TryGetValue(n.Outputs[0], out var rs) || !rs.Any(r => r.OpType == "MatMul" && r.Inputs[0] == n.Outputs[0])) continue;
            if (Math.Abs(i - at) < distance) (best, distance) = (n.Outputs[0], Math.Abs(i - at));
        }
        return best;
    }

    /// <summary>Per input row of the layer (<paramref name="positions"/> rows), r_t as above; null when the attention
    /// tensor is not [.., T, T] or the rows are not a whole number of T-token sequences matching its batch.</summary>
    public static float[]? PerRow(Tensor probabilities, int positions)
    {
        var shape = probabilities.Shape;
        if (shape.Length < 2 || shape[^1] != shape[^2] || shape[^1] == 0) return null;
        int tokens = shape[^1];
        long maps = probabilities.Length / ((long)tokens * tokens);
        if (positions % tokens != 0) return null;
        int sequences = positions / tokens;
        if (sequences == 0 || maps % sequences != 0) return null;
        int heads = (int)(maps / sequences);
        ReadOnlySpan<float> p = probabilities.DType == DType.Float32 ? probabilities.AsReadOnlySpan<float>() : probabilities.ToFloatArray();
        var r = new double[positions];
        for (int b = 0; b < sequences; b++)
            for (int h = 0; h < heads; h++)
            {
                var map = p.Slice((b * heads + h) * tokens * tokens, tokens * tokens);
                for (int q = 0; q < tokens; q++)
                    for (int t = 0; t < tokens; t++) r[b * tokens + t] += map[q * tokens + t];
            }
        var w = new float[positions];
        for (int i = 0; i < positions; i++) w[i] = (float)(r[i] / heads);
        return w;
    }
}
