using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// A format whose codes are the 2^b bit patterns of a b-bit element and whose grid is the finite set of their values
/// (small floats, NF4, codebooks). No zero point: r = s·g, z = 0 (<see cref="INumberFormat.IntegerRange"/> is null).
/// <para>Encoding, for t = x/s: clamp t to [grid[0], grid[^1]] (saturating; ±∞ go to the ends, NaN to the code of 0),
/// find the neighbours grid[i] ≤ t ≤ grid[i+1], and hand the fractional grid index u = i + (t − grid[i])/(grid[i+1] −
/// grid[i]) to the <see cref="IRounding"/>, which picks ⌊u⌋ or ⌈u⌉. With <see cref="Nearest"/> this is round to the
/// nearest grid value, ties to the neighbour with the even code (the IEEE/OCP rule for float layouts, where the even code
/// has the even mantissa; the one nearer zero if both or neither are even). u is a float32: when its rounding alone
/// would land on i + ½ (or cross it) against the exact comparison of the distances (made in float64, exact near a
/// midpoint), u moves by one ulp to the correct side, so <see cref="Nearest"/> agrees with the exact nearest value; and u
/// stays strictly between i and i + 1 when t is strictly between the grid values, so ⌊u⌋ and ⌈u⌉ are its neighbours.</para>
/// <para>−0 and +0 are one grid value whose code is the smaller one (0); NaN/∞ patterns are not grid values and
/// <see cref="Decode"/> refuses them.</para>
/// </summary>
internal abstract class TableFormat : INumberFormat
{
    private const int Chunk = 256;
    private readonly float[] grid;
    private readonly int[] codeOfIndex;
    private readonly float[] valueOfCode;  // NaN where the pattern is not a grid value
    private readonly bool[] tieUp;         // tieUp[i]: an exact midpoint of (grid[i], grid[i+1]) goes to i + 1
    private readonly int zeroIndex;

    /// <param name="valueOfCode">The value of every code 0 .. 2^bits − 1 (non-finite for patterns outside the grid).</param>
    protected TableFormat(string name, int bits, DType? onnxType, ReadOnlySpan<float> valueOfCode)
    {
        if (valueOfCode.Length != 1 << bits) throw new ArgumentException($"{name}: {valueOfCode.Length} values for {bits}-bit codes");
        Name = name;
        BitsPerWeight = bits;
        OnnxType = onnxType;
        this.valueOfCode = new float[valueOfCode.Length];
        var byValue = new SortedDictionary<float, int>();
        for (int c = 0; c < valueOfCode.Length; c++)
        {
            float v = valueOfCode[c] + 0f;  // −0 + 0 = +0: one zero
            this.valueOfCode[c] = float.IsFinite(v) ? v : float.NaN;
            if (float.IsFinite(v) && !byValue.TryAdd(v, c) && v != 0)
                throw new ArgumentException($"{name}: codes {byValue[v]} and {c} both hold {v}");
        }
        grid = byValue.Keys.ToArray();
        codeOfIndex = byValue.Values.ToArray();
        zeroIndex = Array.IndexOf(grid, 0f);
        if (zeroIndex < 0 || grid.Length < 2) throw new ArgumentException($"{name}: the grid must hold 0 and another value");
        tieUp = new bool[grid.Length - 1];
        for (int i = 0; i < tieUp.Length; i++)
        {
            bool lowEven = (codeOfIndex[i] & 1) == 0, highEven = (codeOfIndex[i + 1] & 1) == 0;
            tieUp[i] = lowEven == highEven ? Math.Abs(grid[i + 1]) < Math.Abs(grid[i]) : highEven;
        }
    }

    public string Name { get; }
    public double BitsPerWeight { get; }
    public DType? OnnxType { get; }
    public bool IsSigned => grid[0] < 0;
    public IReadOnlyList<float> Grid => grid;
    public (int Min, int Max)? IntegerRange => null;

    public void Encode(ReadOnlySpan<float> scaled, int zeroPoint, Span<int> codes, IRounding rounding, int firstIndex)
    {
        if (zeroPoint != 0) throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, $"{Name} has no zero point (must be 0)");
        if (codes.Length < scaled.Length) throw new ArgumentException("codes is shorter than the input");
        Span<float> u = stackalloc float[Chunk];
        for (int start = 0; start < scaled.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, scaled.Length - start);
            for (int k = 0; k < n; k++) u[k] = GridCoordinate(scaled[start + k]);
            var dst = codes.Slice(start, n);
            rounding.Round(u[..n], dst, firstIndex + start);
            for (int k = 0; k < n; k++)
            {
                int j = dst[k];
                if ((uint)j >= (uint)grid.Length) throw new InvalidOperationException($"{rounding} returned grid index {j} outside [0, {grid.Length - 1}]");
                dst[k] = codeOfIndex[j];
            }
        }
    }

    /// <summary>The fractional grid index u of <paramref name="t"/> (see the class remarks), in [0, grid.Length − 1].</summary>
    private float GridCoordinate(float t)
    {
        if (float.IsNaN(t)) return zeroIndex;
        if (t <= grid[0]) return 0;
        if (t >= grid[^1]) return grid.Length - 1;
        int found = Array.BinarySearch(grid, t);
        if (found >= 0) return found;
        int i = ~found - 1;  // grid[i] < t < grid[i + 1]
        double lo = grid[i], hi = grid[i + 1], below = t - lo, above = hi - t;
        bool up = above < below || (above == below && tieUp[i]);
        float u = (float)(i + below / (hi - lo));
        int nearest = (int)MathF.Round(u, MidpointRounding.ToEven);
        if (nearest != (up ? i + 1 : i)) u = up ? MathF.BitIncrement(u) : MathF.BitDecrement(u);
        // t lies strictly inside the gap, so u must too (a rounding such as AdaRound still gets both choices).
        return Math.Clamp(u, MathF.BitIncrement(i), MathF.BitDecrement(i + 1));
    }

    public float Decode(int code)
    {
        if ((uint)code >= (uint)valueOfCode.Length || float.IsNaN(valueOfCode[code]))
            throw new ArgumentOutOfRangeException(nameof(code), code, $"not a {Name} code of a grid value");
        return valueOfCode[code];
    }

    /// <summary>The value of every code of a small float type (<see cref="Float8.ToFloat"/>), NaN/∞ patterns included.</summary>
    protected static float[] SmallFloatValues(DType type, int bits)
    {
        var v = new float[1 << bits];
        for (int c = 0; c < v.Length; c++) v[c] = Float8.ToFloat(type, (byte)c);
        return v;
    }

    public override string ToString() => Name;
}
