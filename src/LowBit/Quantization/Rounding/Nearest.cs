using System.Numerics.Tensors;

namespace LowBit.Quantization.Rounding;

/// <summary>Round to nearest, ties to even (as ONNX QuantizeLinear and IEEE 754 roundTiesToEven): 0.5 → 0, 1.5 → 2,
/// −2.5 → −2. Independent of the element index.</summary>
public sealed class Nearest : IRounding
{
    public static Nearest Instance { get; } = new();

    private Nearest() { }

    public void Round(ReadOnlySpan<float> t, Span<int> result, int firstIndex)
    {
        if (result.Length < t.Length) throw new ArgumentException("result is shorter than the input");
        // Vectorized round-half-even, then a saturating conversion (NaN → 0), in stack chunks.
        Span<float> r = stackalloc float[256];
        for (int start = 0; start < t.Length; start += r.Length)
        {
            int n = Math.Min(r.Length, t.Length - start);
            TensorPrimitives.Round(t.Slice(start, n), MidpointRounding.ToEven, r[..n]);
            TensorPrimitives.ConvertToInteger<float, int>(r[..n], result.Slice(start, n));
        }
    }

    public override string ToString() => "nearest";
}
