using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// Weight-only preparation: Gemm(A, B, C, transB = 1) with B [N, K] a float initializer read by that Gemm alone becomes
/// Gemm(A, Bᵀ, C, transB = 0) with Bᵀ [K, N] stored. ONNX Runtime 1.31 fuses DequantizeLinear→Gemm into MatMulNBits
/// only with transB = 0; with transB = 1 it dequantizes the weight on every run (measured 23× slower than float at
/// batch 1, docs/quantization.md). The product is unchanged: op(B) is the same matrix.
/// </summary>
internal static class GemmTransposeB
{
    public static int Apply(Graph.Graph g)
    {
        var consumers = g.Consumers();
        int n = 0;
        foreach (var node in g.Nodes)
        {
            if (node.OpType != "Gemm" || node.Domain.Length != 0 || node.Inputs.Count < 2) continue;
            if ((node.Get<long?>("transB") ?? 0) == 0 || (node.Get<long?>("transA") ?? 0) != 0) continue;
            string b = node.Inputs[1];
            if (!g.Initializers.TryGetValue(b, out var w) || w.DType != DType.Float32 || w.Rank != 2) continue;
            if (!consumers.TryGetValue(b, out var readers) || readers.Count != 1 || g.Inputs.Any(i => i.Name == b)) continue;
            int rows = w.Shape[0], cols = w.Shape[1];
            var src = w.AsReadOnlySpan<float>();
            var t = new float[src.Length];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) t[j * rows + i] = src[i * cols + j];
            g.Initializers[b] = Tensor.FromArray(t, cols, rows);
            node.With("transB", 0L);
            n++;
        }
        return n;
    }
}
