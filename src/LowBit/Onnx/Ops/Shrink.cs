using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Shrink-9: <c>y = x + bias</c> if x &lt; −lambd, <c>x − bias</c> if x &gt; lambd, else 0.</summary>
internal static class ShrinkOps
{
    /// <summary>float32 runs in float32 (as ONNX Runtime does); every other numeric type in float64, converted back with
    /// Cast semantics (integers truncate toward zero and saturate).</summary>
    [Op("Shrink", 9)]
    public static Tensor Shrink(Tensor input, float bias = 0f, float lambd = 0.5f)
    {
        if (input.DType == DType.Float32)
        {
            var y = Tensor.Empty(DType.Float32, input.Shape);
            var s = input.AsReadOnlySpan<float>();
            var d = y.AsSpan<float>();
            for (int i = 0; i < d.Length; i++)
            {
                float v = s[i];
                d[i] = v < -lambd ? v + bias : v > lambd ? v - bias : 0f;
            }
            return y;
        }
        if ((!input.DType.IsFloat() && !input.DType.IsInteger()) || input.DType.IsPacked4())
            throw new ArgumentException($"Shrink takes numeric tensors, got {input.DType.Name()}");
        var x = input.ToDoubleArray();
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = v < -lambd ? v + bias : v > lambd ? v - bias : 0;
        }
        return Elementwise.Cast(Tensor.FromArray(x, input.Shape), input.DType);
    }
}
