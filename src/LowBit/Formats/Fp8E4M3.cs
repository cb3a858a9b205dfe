using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// FP8 E4M3FN (OCP 8-bit Floating Point Specification (OFP8) rev. 1.0, 2023; Micikevicius et al. 2022, "FP8 Formats for
/// Deep Learning", arXiv:2209.05433), ONNX <c>float8e4m3fn</c>.
/// <para>Bit layout: <c>[ s : bit 7 | e : bits 6..3 | m : bits 2..0 ]</c>, exponent bias 7.
/// e = 0: subnormal (−1)^s·m·2⁻⁹; e ≥ 1: (−1)^s·(1 + m/8)·2^(e−7). No infinities: S.1111.111 (0x7F, 0xFF) is NaN, so
/// the largest finite value is S.1111.110 = ±448; smallest subnormal 2⁻⁹, smallest normal 2⁻⁶.</para>
/// <para>Grid: the 253 finite values (±0 counted once), r = s·g with z = 0. Codes are the bit patterns; encoding saturates
/// to ±448 and rounds to nearest, ties to even (as ONNX QuantizeLinear/Cast with saturate=1), except that values rounding
/// to zero give +0 (0x00), never −0 (0x80).</para>
/// </summary>
internal sealed class Fp8E4M3Format : TableFormat
{
    public Fp8E4M3Format() : base("fp8-e4m3", 8, DType.Float8E4M3FN, SmallFloatValues(DType.Float8E4M3FN, 8)) { }
}
