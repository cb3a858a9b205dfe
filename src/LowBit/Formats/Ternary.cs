using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// Ternary {−1, 0, +1} (BitNet b1.58, Ma et al. 2024, arXiv:2402.17764): r = s·(q − z), q ∈ {−1, 0, 1}, log2 3 ≈ 1.58
/// bits per weight. Choosing s (absmean in BitNet b1.58, the median variant of "BitNet b1.58 Reloaded") is an observer
/// concern; this is only the grid.
/// <para>The grid is exactly the integers −1..1, so <see cref="IntegerRange"/> is set and codes are the values, like
/// int2-narrow. A zero point z ∈ {−1, 0, 1} shifts it as the contract allows: z = 0 is ternary proper ({−s, 0, s}), z = ±1
/// gives the three-level one-sided grids {0, s, 2s} / {−2s, −s, 0}, still three equally spaced levels holding an exact 0
/// (the asymmetric scheme picks them for one-signed ranges).</para>
/// <para>Storage: int4 (two's complement nibble, two per byte) in ONNX; packed at 2 bits by <see cref="BitPacking"/>
/// (int2 offset binary: −1 ↦ 01, 0 ↦ 10, +1 ↦ 11; 00, which would be −2, unused).</para>
/// </summary>
internal sealed class TernaryFormat : INumberFormat
{
    private static readonly IntFormat Levels = new(2, signed: true, narrow: true);

    public string Name => "ternary";
    public double BitsPerWeight => Math.Log2(3);
    public bool IsSigned => true;
    public IReadOnlyList<float> Grid => Levels.Grid;
    public (int Min, int Max)? IntegerRange => (-1, 1);
    public DType? OnnxType => DType.Int4;

    public void Encode(ReadOnlySpan<float> scaled, int zeroPoint, Span<int> codes, IRounding rounding, int firstIndex) =>
        Levels.Encode(scaled, zeroPoint, codes, rounding, firstIndex);

    public float Decode(int code) => code is >= -1 and <= 1 ? code : throw new ArgumentOutOfRangeException(nameof(code), code, "not a ternary code");

    public override string ToString() => Name;
}

/// <summary>
/// Binary {−1, +1} (sign·s, as in BinaryConnect/XNOR-Net weights and BitNet's 1-bit form): r = s·g, g = ±1, one bit per
/// weight. Not a range of consecutive integers, so <see cref="IntegerRange"/> is null and there is no zero point (z = 0).
/// <para>Bit layout: code 0 ↦ −1, code 1 ↦ +1 (the bit is set for +1, so <see cref="BitPacking"/> at b = 1 unsigned
/// stores eight weights per byte). No ONNX element type holds these codes: exported as indices + lookup.</para>
/// <para>Encoding, for t = x/s: the grid coordinate u = (clamp(t, −1, 1) + 1)/2 ∈ [0, 1] (see Coordinate) goes to the
/// <see cref="IRounding"/>, which picks code ⌊u⌋ or ⌈u⌉; u is affine in t, so the nearer index is the nearer value. With
/// <see cref="Nearest"/> t = 0 (u = ½) ties to the even code 0 (−1). The grid has no 0 for NaN to go to: NaN gives code 0.</para>
/// </summary>
internal sealed class BinaryFormat : INumberFormat
{
    private const int Chunk = 256;
    private static readonly float[] Levels = [-1f, 1f];

    public string Name => "binary";
    public double BitsPerWeight => 1;
    public bool IsSigned => true;
    public IReadOnlyList<float> Grid => Levels;
    public (int Min, int Max)? IntegerRange => null;
    public DType? OnnxType => null;

    public void Encode(ReadOnlySpan<float> scaled, int zeroPoint, Span<int> codes, IRounding rounding, int firstIndex)
    {
        if (zeroPoint != 0) throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, "binary has no zero point (must be 0)");
        if (codes.Length < scaled.Length) throw new ArgumentException("codes is shorter than the input");
        Span<float> u = stackalloc float[Chunk];
        for (int start = 0; start < scaled.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, scaled.Length - start);
            for (int k = 0; k < n; k++) u[k] = Coordinate(scaled[start + k]);
            var dst = codes.Slice(start, n);
            rounding.Round(u[..n], dst, firstIndex + start);
            foreach (int c in dst)
                if (c is not (0 or 1)) throw new InvalidOperationException($"{rounding} returned grid index {c} outside [0, 1]");
        }
    }

    /// <summary>u = (t + 1)/2, kept on the correct side of ½ and strictly inside (0, 1) for |t| &lt; 1 where the float sum
    /// t + 1 rounds (t = 1e−9 would otherwise land on the tie). NaN stays NaN, which rounding maps to 0.</summary>
    private static float Coordinate(float t)
    {
        if (float.IsNaN(t)) return t;
        if (t <= -1f) return 0f;
        if (t >= 1f) return 1f;
        float u = (t + 1f) * 0.5f;
        if (t > 0 && u <= 0.5f) u = MathF.BitIncrement(0.5f);
        if (t < 0 && u >= 0.5f) u = MathF.BitDecrement(0.5f);
        return Math.Clamp(u, MathF.BitIncrement(0f), MathF.BitDecrement(1f));
    }

    public float Decode(int code) => code switch
    {
        0 => -1f,
        1 => 1f,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a binary code"),
    };

    public override string ToString() => Name;
}
