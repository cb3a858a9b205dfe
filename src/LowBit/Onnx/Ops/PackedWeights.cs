using System.Runtime.CompilerServices;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// GEMM weights packed once per weight storage array (keyed weakly, so the packed form dies with the weights). Only
/// the fused ops of an optimized session use it: their weights are session-owned constants. Plain ONNX ops repack per
/// call, so a caller that edits a weight tensor in place (training) never sees a stale packing.
/// </summary>
internal static class PackedWeights
{
    /// <summary>Packed forms of one weight array by (kernel, layout) key; a weight may be used in several layouts.</summary>
    private sealed class Entry : Dictionary<string, PackedMatrix[]>;

    private static readonly ConditionalWeakTable<Array, Entry> cache = new();

    /// <summary>Conv weights [M, C/g, k…] as g left operands W_g (M/g × C/g·∏k), or with <paramref name="transposed"/>
    /// as g right operands W_gᵀ (see <see cref="SgemmKernel.Conv2D"/>).</summary>
    public static PackedMatrix[] ConvGroups(Tensor w, int groups, bool transposed, bool useCache)
    {
        var kernel = GemmF32.Kernel;
        int m = w.Shape[0], mg = m / groups, k = w.Length / Math.Max(1, m);
        string key = $"conv:{groups}:{transposed}:{string.Join(",", w.Shape)}";
        return Get(w, key, useCache, () =>
        {
            var data = w.AsReadOnlySpan<float>();
            var packed = new PackedMatrix[groups];
            for (int g = 0; g < groups; g++)
            {
                var slice = data.Slice(g * mg * k, mg * k);
                packed[g] = transposed ? kernel.PackB(true, k, mg, slice, k) : kernel.PackA(false, mg, k, slice, k);
            }
            return packed;
        });
    }

    /// <summary>A right operand op(B) (K×N) from a 2-D weight.</summary>
    public static PackedMatrix Right(Tensor b, bool transB, bool useCache)
    {
        var kernel = GemmF32.Kernel;
        int rows = b.Shape[0], cols = b.Shape[1];
        string key = $"right:{transB}:{rows},{cols}";
        return Get(b, key, useCache, () =>
        [
            transB ? kernel.PackB(true, cols, rows, b.AsReadOnlySpan<float>(), cols)
                   : kernel.PackB(false, rows, cols, b.AsReadOnlySpan<float>(), cols),
        ])[0];
    }

    private static PackedMatrix[] Get(Tensor w, string key, bool useCache, Func<PackedMatrix[]> pack)
    {
        if (!useCache) return pack();
        key = GemmF32.Kernel.Name + ":" + key;
        var entry = cache.GetValue(w.Data, _ => new Entry());
        lock (entry)
        {
            if (!entry.TryGetValue(key, out var packed)) entry[key] = packed = pack();
            return packed;
        }
    }
}
