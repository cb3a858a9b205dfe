namespace LowBit.Formats;

/// <summary>
/// Power-of-two grid at b bits (logarithmic quantization, Miyashita et al. 2016, arXiv:1603.01025): r = s·g with
/// g ∈ {0} ∪ {±2^−k : k = 0 .. 2^(b−1) − 2}, so a product with a weight is a shift. 2^b − 1 values (±0 are one).
/// <para>Bit layout, sign-magnitude: code = sign·2^(b−1) + m, m ∈ [0, 2^(b−1)); m = 0 is 0, m ≥ 1 is
/// 2^(m − (2^(b−1) − 1)) (m = 2^(b−1) − 1 is 1). pot4: m = 1..7 ↦ 2^−6..2^0, code 8 is −0 (encodes as code 0);
/// pot3: {0, ±¼, ±½, ±1}. Codes are b-bit patterns (packed by <see cref="BitPacking"/>, unsigned); no ONNX element type:
/// exported as indices + lookup. No zero point. Encoding (<see cref="TableFormat"/>) decides between the two neighbours
/// by their distance in value, so a geometric grid rounds to the nearer value (not the nearer exponent); exact midpoints
/// go to the even code.</para>
/// </summary>
internal sealed class PowerOfTwoFormat : TableFormat
{
    public PowerOfTwoFormat(int bits) : base("pot" + bits, bits, null, Values(bits)) { }

    private static float[] Values(int bits)
    {
        if (bits is < 2 or > 6) throw new ArgumentOutOfRangeException(nameof(bits), bits, "power-of-two formats have 2–6 bits");
        int half = 1 << (bits - 1);
        var v = new float[1 << bits];
        for (int m = 1; m < half; m++)
        {
            v[m] = MathF.ScaleB(1f, m - (half - 1));
            v[half + m] = -v[m];
        }
        v[half] = -0f;
        return v;
    }
}

/// <summary>
/// Additive powers-of-two (APoT, Li, Dong and Wang 2020, "Additive Powers-of-Two Quantization: An Efficient
/// Non-uniform Discretization for Neural Networks", arXiv:1909.13144): each magnitude is a sum of two power-of-two
/// terms, so a product is two shifts and an add, with levels denser than PoT near the top of the range.
/// <para>Construction at b bits (one sign bit, m = b − 1 magnitude bits split k1 = ⌈m/2⌉, k2 = ⌊m/2⌋ over the two terms,
/// the paper's interleaving of term exponents with n = 2 terms):</para>
/// <code>
/// P1 = {0} ∪ {2^−2i     : i = 0 .. 2^k1 − 2}      (even exponents)
/// P2 = {0} ∪ {2^−(2i+1) : i = 0 .. 2^k2 − 2}      (odd exponents)
/// magnitude(i1, i2) = P1[i1] + P2[i2]              2^m distinct values (a sum has at most one even and one odd bit)
/// </code>
/// <list type="bullet">
/// <item>b = 3 (k1 = k2 = 1): P1 = {0, 1}, P2 = {0, ½}: magnitudes {0, ½, 1, 3/2}, i.e. the uniform 7-level grid
/// (one term bit each adds up to a plain binary number; APoT departs from uniform only from 2 bits per term).</item>
/// <item>b = 4 (k1 = 2, k2 = 1): P1 = {0, 1, ¼, 1/16}, P2 = {0, ½}: magnitudes {0, 1/16, ¼, ½, 9/16, ¾, 1, 3/2}.</item>
/// <item>b = 5 (k1 = k2 = 2): P1 = {0, 1, ¼, 1/16}, P2 = {0, ½, ⅛, 1/32}: 16 magnitudes up to 3/2.</item>
/// </list>
/// The scale absorbs the paper's normalization γ (Affine puts the range maximum on 3/2). Bit layout, sign-magnitude:
/// code = sign·2^(b−1) + (i1·2^k2 + i2); code 2^(b−1) is −0. No ONNX element type (indices + lookup), no zero point.
/// The reparameterized clipping of the paper is an observer/training concern, not part of the grid.
/// </summary>
internal sealed class AdditivePowerOfTwoFormat : TableFormat
{
    public AdditivePowerOfTwoFormat(int bits) : base("apot" + bits, bits, null, Values(bits)) { }

    private static float[] Values(int bits)
    {
        if (bits is < 3 or > 7) throw new ArgumentOutOfRangeException(nameof(bits), bits, "APoT formats have 3–7 bits");
        int m = bits - 1, k1 = (m + 1) / 2, k2 = m / 2, half = 1 << m;
        var p1 = Terms(k1, 0);
        var p2 = Terms(k2, 1);
        var v = new float[1 << bits];
        for (int i1 = 0; i1 < p1.Length; i1++)
            for (int i2 = 0; i2 < p2.Length; i2++)
            {
                int c = (i1 << k2) | i2;
                v[c] = p1[i1] + p2[i2];
                v[half + c] = -v[c];
            }
        return v;
    }

    /// <summary>{0} ∪ {2^−(2i + first) : i = 0 .. 2^k − 2}: 2^k values.</summary>
    private static float[] Terms(int k, int first)
    {
        var t = new float[1 << k];
        for (int i = 1; i < t.Length; i++) t[i] = MathF.ScaleB(1f, -(2 * (i - 1) + first));
        return t;
    }
}
