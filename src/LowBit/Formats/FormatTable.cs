namespace LowBit.Formats;

/// <summary>
/// The registry of number formats by name (DESIGN.md §3: one row per format; the parametrized format tests run over
/// <see cref="All"/>, so a new row is tested automatically). Names are lowercase and matched case-insensitively.
/// </summary>
public static class FormatTable
{
    private static readonly INumberFormat[] rows = Build();
    private static readonly Dictionary<string, INumberFormat> byName =
        rows.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    private static INumberFormat[] Build()
    {
        var list = new List<INumberFormat>();
        int[] widths = [2, 3, 4, 5, 6, 7, 8, 16];
        foreach (int b in widths) list.Add(new IntFormat(b, signed: true));
        foreach (int b in widths) list.Add(new IntFormat(b, signed: false));
        foreach (int b in widths) list.Add(new IntFormat(b, signed: true, narrow: true));
        list.Add(new Fp8E4M3Format());
        list.Add(new Fp8E5M2Format());
        list.Add(new Fp4E2M1Format());
        list.Add(new Nf4Format());
        list.Add(new TernaryFormat());
        list.Add(new BinaryFormat());
        foreach (int b in new[] { 3, 4, 5 }) list.Add(new PowerOfTwoFormat(b));
        foreach (int b in new[] { 3, 4, 5 }) list.Add(new AdditivePowerOfTwoFormat(b));
        foreach (var family in new[] { CodebookFamily.KMeans, CodebookFamily.PowerExponent })
            foreach (int b in CodebookFormat.Widths(family)) list.Add(CodebookFormat.Template(family, b));
        return list.ToArray();
    }

    /// <summary>Every registered format, in table order.</summary>
    public static IReadOnlyList<INumberFormat> All => rows;

    public static IEnumerable<string> Names => rows.Select(f => f.Name);

    /// <summary>The format called <paramref name="name"/>; unknown names throw a usage error listing the known ones.</summary>
    public static INumberFormat Get(string name) =>
        TryGet(name, out var f) ? f
            : throw new LowBitException(ErrorKind.Usage, $"unknown number format '{name}'; known formats: {string.Join(", ", Names)}");

    public static bool TryGet(string name, out INumberFormat format) => byName.TryGetValue(name.Trim(), out format!);
}
