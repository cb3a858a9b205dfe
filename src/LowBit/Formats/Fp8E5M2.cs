using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// FP8 E5M2 (OCP 8-bit Floating Point Specification (OFP8) rev. 1.0, 2023; Micikevicius et al. 2022, "FP8 Formats for
/// Deep Learning", arXiv:2209.05433), ONNX <c>float8e5m2</c>.
/// <para>Bit layout: <c>[ s : bit 7 | e : bits 6..2 | m : bits 1..0 ]</c>, exponent bias 15 (IEEE 754 binary16 with the
/// low 8 mantissa bits dropped). e = 0: subnormal (−1)^s·m·2⁻¹⁶; 1 ≤ e ≤ 30: (−1)^s·(1 + m/4)·2^(e−15); e = 31: ±∞
/// (m = 0) or NaN. Largest finite ±57344 (S.11110.11), smallest subnormal 2⁻¹⁶, smallest normal 2⁻¹⁴.</para>
/// <para>Grid: the 247 finite values (±0 counted once), r = s·g with z = 0. Codes are the bit patterns; encoding saturates
/// to ±57344 (±∞ included) and rounds to nearest, ties to even (ONNX QuantizeLinear/Cast with saturate=1), except that
/// values rounding to zero give +0 (0x00), never −0 (0x80).</para>
/// </summary>
internal sealed class Fp8E5M2Format : TableFormat
{
    public Fp8E5M2Format() : base("fp8-e5m2", 8, DType.Float8E5M2, SmallFloatValues(DType.Float8E5M2, 8)) { }
}
