using System.Globalization;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>StringNormalizer-10: drops stop words from a string tensor [C] or [1, C], then changes case.</summary>
internal static class StringOps
{
    /// <summary>Stop words match whole elements, ignoring case unless <c>is_case_sensitive</c>. Case mapping follows
    /// <c>locale</c> (ONNX spelling "en_US"; empty = invariant, see <see cref="Culture"/>). When every element is dropped the output is one empty
    /// string, [1] or [1, 1], as ONNX Runtime gives.</summary>
    [Op("StringNormalizer", 10)]
    public static Tensor StringNormalizer(Tensor X, string case_change_action = "NONE", long is_case_sensitive = 0,
        string locale = "", string[]? stopwords = null)
    {
        if (X.DType != DType.String) throw new ArgumentException($"StringNormalizer takes a string tensor, got {X.DType.Name()}");
        bool twoD = X.Rank == 2;
        if (!(X.Rank == 1 || (twoD && X.Shape[0] == 1)))
            throw new ArgumentException($"StringNormalizer takes shape [C] or [1, C], got {X.ShapeString}");
        var culture = Culture(locale);
        Func<string, string> change = case_change_action switch
        {
            "NONE" => s => s,
            "LOWER" => s => s.ToLower(culture),
            "UPPER" => s => s.ToUpper(culture),
            _ => throw new LowBitException(ErrorKind.InvalidModel,
                $"case_change_action '{case_change_action}' is not one of NONE, LOWER, UPPER"),
        };
        var comparer = is_case_sensitive != 0 ? StringComparer.Ordinal : StringComparer.Create(culture, ignoreCase: true);
        var stop = new HashSet<string>(stopwords ?? [], comparer);
        var kept = new List<string>();
        foreach (var s in X.AsReadOnlySpan<string>())
            if (!stop.Contains(s)) kept.Add(change(s));
        if (kept.Count == 0) kept.Add("");
        return Tensor.FromArray(kept.ToArray(), twoD ? [1, kept.Count] : [kept.Count]);
    }

    /// <summary>The culture named by <c>locale</c>. LowBit runs with InvariantGlobalization (no ICU), where no named
    /// culture exists: those fall back to the invariant culture, whose case mapping is Unicode's simple one (the same as
    /// en_US for every letter except locale-special ones such as Turkish dotted i).</summary>
    private static CultureInfo Culture(string locale)
    {
        if (locale.Length == 0) return CultureInfo.InvariantCulture;
        try
        {
            return CultureInfo.GetCultureInfo(locale.Replace('_', '-'));
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.InvariantCulture;
        }
    }
}
