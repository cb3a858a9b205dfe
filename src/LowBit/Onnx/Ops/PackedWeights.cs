using System.Runtime.CompilerServices;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// GEMM weights packed once per owner: the fused node of a session's optimized graph copy (keyed weakly, so the packed
/// form dies with that session). A new session therefore packs afresh, even from the same weight arrays, so weights
/// edited in place between sessions (training, then evaluation) are never served stale. Plain ONNX ops (no owner)
/// repack per call.
/// </summary>
internal static class PackedWeights
{
    /// <summary>Packed forms of one owner's weight, by (kernel, layout) key; reset if the weight's storage changes.</summary>
    private sealed class Entry
    {
        public Array? Source;
        public readonly Dictionary<string, PackedMatrix[]> Forms = new();
    }

    private static readonly ConditionalWeakTable<object, Entry> cache = new();

    /// <summary>Conv weights [M, C/g, k…] as g left operands W_g (M/g × C/g·∏k), or with <paramref name="transposed"/>
    /// as g right operands W_gᵀ (see <see cref="SgemmKernel.Conv2D"/>).</summary>
    public static PackedMatrix[] ConvGroups(Tensor w, int groups, bool transposed, object? owner)
    {
        var kernel = GemmF32.Kernel;
        int m = w.Shape[0], mg = m / groups, k = w.Length / Math.Max(1, m);
        string key = $"conv:{groups}:{transposed}:{string.Join(",", w.Shape)}";
        return Get(w, key, owner, () =>
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
    public static PackedMatrix Right(Tensor b, bool transB, object? owner)
    {
        var kernel = GemmF32.Kernel;
        int rows = b.Shape[0], cols = b.Shape[1];
        string key = $"right:{transB}:{rows},{cols}";
        return Get(b, key, owner, () =>
        [
            transB ? kernel.PackB(true, cols, rows, b.AsReadOnlySpan<float>(), cols)
                   : kernel.PackB(false, rows, cols, b.AsReadOnlySpan<float>(), cols),
        ])[0];
    }

    private static PackedMatrix[] Get(Tensor w, string key, object? owner, Func<PackedMatrix[]> pack)
    {
        if (owner is null) return pack();
        key = GemmF32.Kernel.Name + ":" + key;
        var entry = cache.GetValue(owner, _ => new Entry());
        lock (entry)
        {
            if (!ReferenceEquals(entry.Source, w.Data))
            {
                entry.Source = w.Data;
                entry.Forms.Clear();
            }
            if (!entry.Forms.TryGetValue(key, out var packed)) entry.Forms[key] = packed = pack();
            return packed;
        }
    }
}
