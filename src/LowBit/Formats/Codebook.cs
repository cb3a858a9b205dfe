namespace LowBit.Formats;

/// <summary>How a <see cref="CodebookFormat"/>'s levels are fitted to a tensor.</summary>
internal enum CodebookFamily
{
    /// <summary><c>kmeansB</c>: any 2^b levels, by weighted k-means.</summary>
    KMeans,

    /// <summary><c>nupesB</c>: the power-exponent grid sign(u)·|u|^α over the uniform narrow grid u ∈ {−m … m}/m, one α
    /// per tensor (NUPES, Yvinec et al. 2023, arXiv:2308.05600).</summary>
    PowerExponent,
}

/// <summary>
/// A learned b-bit codebook per weight tensor (k-means weight sharing: Han, Mao and Dally 2016, "Deep Compression",
/// arXiv:1510.00149; Hessian-weighted k-means: Choi, El-Khamy and Lee 2017, arXiv:1612.01543): the 2^b levels are fitted
/// to the tensor's own scaled weights (<see cref="Quantization.Observers.CodebookFit"/>), so a weight is r = s·c[code].
/// <para><c>nupesB</c> rows constrain the levels to a power-exponent grid sign(u)·|u|^α (<see cref="CodebookFamily"/>),
/// α fitted per tensor; they share everything else (scales, export, manifest) with <c>kmeansB</c>.</para>
/// <para>The registry row <c>kmeansB</c> is a template: its grid is the uniform narrow grid {−m … m}/m (m = 2^(b−1) − 1,
/// one code unused) and stands only for the format's name and width. Quantizing a weight replaces it with a
/// <see cref="Learned"/> instance of the same name whose levels the manifest records (<c>codebook</c>).</para>
/// <para>Bit layout: a b-bit unsigned index into the ascending level list (code c ↦ level c, codes past the last level
/// are unused); stored bit-packed like every lookup format and exported as packed indices + a float32 table (one per
/// tensor) + Gather·scale. One level is exactly 0 (fixed during the fit), so zeros, padding and pruned weights stay exact
/// and NaN encodes as 0. No zero point; encoding rounds to the nearest level, ties to the even code.</para>
/// </summary>
internal sealed class CodebookFormat : TableFormat
{
    /// <summary>Widths with a registry row per family (the export's lookup table holds 2^b float32 values).</summary>
    public static int[] Widths(CodebookFamily family) => family == CodebookFamily.KMeans ? [2, 3, 4, 5, 6, 8] : [3, 4, 5];

    private CodebookFormat(CodebookFamily family, int bits, float[] valueOfCode, bool learned)
        : base(NameFor(family, bits), bits, null, valueOfCode)
    {
        Family = family;
        Bits = bits;
        IsLearned = learned;
    }

    public CodebookFamily Family { get; }

    public int Bits { get; }

    /// <summary>False for the registry's template row, true for levels fitted to a tensor.</summary>
    public bool IsLearned { get; }

    public static string NameFor(CodebookFamily family, int bits) => (family == CodebookFamily.KMeans ? "kmeans" : "nupes") + bits;

    /// <summary>The registry row: levels {−m … m}/m with m = 2^(b−1) − 1, the last code unused (NUPES with α = 1).</summary>
    public static CodebookFormat Template(CodebookFamily family, int bits)
    {
        CheckBits(bits);
        return new CodebookFormat(family, bits, Padded(PowerLevels(bits, 1), bits), learned: false);
    }

    /// <summary>A k-means codebook of the given levels (see <see cref="WithLevels"/>).</summary>
    public static CodebookFormat Learned(int bits, IReadOnlyList<float> levels) => Template(CodebookFamily.KMeans, bits).WithLevels(levels);

    /// <summary>This family and width with the given levels (at most 2^b distinct finite values, 0 among them; any order).</summary>
    public CodebookFormat WithLevels(IReadOnlyList<float> levels)
    {
        var distinct = levels.Select(l => l + 0f).Distinct().Order().ToArray();
        if (distinct.Length > 1 << Bits || distinct.Any(l => !float.IsFinite(l)) || !distinct.Contains(0f))
            throw new ArgumentException($"{Name}: a codebook holds at most {1 << Bits} distinct finite levels including 0; got [{string.Join(", ", levels)}]");
        return new CodebookFormat(Family, Bits, Padded(distinct, Bits), learned: true);
    }

    /// <summary>sign(u)·|u|^α for u = j/m, j = −m … m, m = 2^(b−1) − 1 (ascending; ±1 and 0 for every α &gt; 0).</summary>
    public static float[] PowerLevels(int bits, double alpha)
    {
        CheckBits(bits);
        int m = (1 << (bits - 1)) - 1;
        return Enumerable.Range(-m, 2 * m + 1).Select(j => (float)(Math.Sign(j) * Math.Pow(Math.Abs(j) / (double)m, alpha))).ToArray();
    }

    private static float[] Padded(float[] ascending, int bits)
    {
        var v = new float[1 << bits];
        Array.Fill(v, float.NaN);
        ascending.CopyTo(v, 0);
        return v;
    }

    private static void CheckBits(int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "codebooks have 2–8 bits");
    }
}
