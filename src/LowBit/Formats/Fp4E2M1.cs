using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// FP4 E2M1, the element type of the OCP Microscaling Formats (MX) Specification v1.0 (2023), ONNX <c>float4e2m1</c>;
/// the FP4 of LLM-FP4 (Liu et al. 2023, arXiv:2310.16836) with its default exponent bias.
/// <para>Bit layout (one nibble): <c>[ s : bit 3 | e : bits 2..1 | m : bit 0 ]</c>, exponent bias 1. e = 0: subnormal
/// (−1)^s·m·0.5; e ≥ 1: (−1)^s·(1 + m/2)·2^(e−1). No infinities or NaN. Magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6.</para>
/// <para>Grid: the 15 values {0, ±0.5, ±1, ±1.5, ±2, ±3, ±4, ±6}, r = s·g with z = 0. Codes are the nibbles (stored two
/// per byte, element 2k in the low nibble, as <see cref="CodeStorage"/>); encoding saturates to ±6 and rounds to nearest,
/// ties to even (ONNX QuantizeLinear/Cast with saturate=1), except that values rounding to zero give +0 (0x0), never −0 (0x8).</para>
/// </summary>
internal sealed class Fp4E2M1Format : TableFormat
{
    public Fp4E2M1Format() : base("fp4", 4, DType.Float4E2M1, SmallFloatValues(DType.Float4E2M1, 4)) { }
}

