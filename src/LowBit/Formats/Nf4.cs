namespace LowBit.Formats;

/// <summary>
/// NF4, 4-bit NormalFloat (Dettmers et al. 2023, "QLoRA: Efficient Finetuning of Quantized LLMs", arXiv:2305.14314,
/// §3 and Appendix E): information-theoretically spaced levels for N(0, σ²) weights scaled by their absmax.
/// <para>Construction: with δ = ½(1/32 + 1/30) (offset 1 − δ ≈ 0.9677), the 8 positive levels are Φ⁻¹ at 8 equal steps
/// from 1 − δ down to (not including) ½, the 7 negative ones −Φ⁻¹ at 7 equal steps over the same span, plus an exact 0;
/// all 16 are divided by the largest, so the grid spans [−1, 1] and is asymmetric (7 negative, 8 positive levels).
/// The values below are the published float32 table (QLoRA Appendix E, as used by bitsandbytes), so codes interoperate.</para>
/// <para>Bit layout: a 4-bit unsigned index into the ascending table, code c ↦ grid[c] (code 7 is 0); stored two per byte
/// like uint4 (element 2k in the low nibble). No ONNX element type: exported as an index tensor and a lookup table.
/// r = s·grid[c], z = 0; encoding rounds to the nearest level, ties to the even code.</para>
/// </summary>
internal sealed class Nf4Format : TableFormat
{
    private static readonly float[] Levels =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    public Nf4Format() : base("nf4", 4, null, Levels) { }
}
