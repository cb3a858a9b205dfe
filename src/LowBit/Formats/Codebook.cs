namespace LowBit.Formats;

/// <summary>
/// A learned b-bit codebook per weight tensor (k-means weight sharing: Han, Mao and Dally 2016, "Deep Compression",
/// arXiv:1510.00149; Hessian-weighted k-means: Choi, El-Khamy and Lee 2017, arXiv:1612.01543): the 2^b levels are fitted
/// to the tensor's own scaled weights (<see cref="Quantization.Observers.CodebookFit"/>), so a weight is r = s·c[code].
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
    /// <summary>Widths with a registry row (the export's lookup table holds 2^b float32 values).</summary>
    public static readonly int[] Widths = [2, 3, 4, 5, 6, 8];

    private CodebookFormat(int bits, float[] valueOfCode, bool learned) : base(NameFor(bits), bits, null, valueOfCode)
    {
        Bits = bits;
        IsLearned = learned;
    }

    public int Bits { get; }

    /// <summary>False for the registry's template row, true for levels fitted to a tensor.</summary>
    public bool IsLearned { get; }

    public static string NameFor(int bits) => "kmeans" + bits;

    /// <summary>The registry row: levels {−m … m}/m with m = 2^(b−1) − 1, the last code unused.</summary>
    public static CodebookFormat Template(int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "codebooks have 2–8 bits");
        int m = (1 << (bits - 1)) - 1;
        var v = new float[1 << bits];
        for (int c = 0; c < v.Length; c++) v[c] = c <= 2 * m ? (float)(c - m) / m : float.NaN;
        return new CodebookFormat(bits, v, learned: false);
    }

    /// <summary>A codebook of the given levels (at most 2^b distinct finite values, 0 among them; any order).</summary>
    public static CodebookFormat Learned(int bits, IReadOnlyList<float> levels)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "codebooks have 2–8 bits");
        var distinct = levels.Select(l => l + 0f).Distinct().Order().ToArray();
        if (distinct.Length > 1 << bits || distinct.Any(l => !float.IsFinite(l)) || !distinct.Contains(0f))
            throw new ArgumentException($"{NameFor(bits)}: a codebook holds at most {1 << bits} distinct finite levels including 0; got [{string.Join(", ", levels)}]");
        var v = new float[1 << bits];
        Array.Fill(v, float.NaN);
        distinct.CopyTo(v, 0);
        return new CodebookFormat(bits, v, learned: true);
    }
}
