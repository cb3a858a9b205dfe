using System.Globalization;
using LowBit.Graph;

namespace LowBit.Cli.Support;

/// <summary>
/// Sizes for the dynamic dims of random inputs, from <c>--dim</c> values (each may list several, comma-separated):
/// <c>NAME=SIZE</c> a symbolic dim by name; <c>POS:SIZE</c> the dynamic dim at position POS of every input (exporters
/// often leave dims unnamed, [?, ?]); <c>INPUT:POS:SIZE</c> that position of one input. Precedence: INPUT:POS, then
/// NAME, then POS, else 1. Each value must apply to some dynamic dim, so a typo is an error, not a silent 1.
/// </summary>
internal sealed class DimSizes
{
    private readonly Dictionary<string, int> byName = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> byPosition = new();
    private readonly Dictionary<(string Input, int Pos), int> byInputPosition = new();

    public static DimSizes Empty { get; } = new();

    public static DimSizes Parse(IReadOnlyList<string> values, Graph.Graph g)
    {
        var d = new DimSizes();
        var inputs = g.Inputs.Where(v => v.Shape is not null).ToList();
        var symbols = inputs.SelectMany(v => v.Shape!).Select(x => x.Param).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var spec in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            int eq = spec.IndexOf('='), colon = spec.LastIndexOf(':');
            if (eq > 0)
            {
                string name = spec[..eq];
                int size = Size(spec, spec[(eq + 1)..]);
                if (!symbols.Contains(name))
                    throw new LowBitException(ErrorKind.Usage, $"--dim {spec}: the model's inputs have no symbolic dimension '{name}'" +
                        (symbols.Count > 0 ? $" (they have: {string.Join(", ", symbols)})" : Unnamed(inputs)));
                d.byName[name] = size;
            }
            else if (colon > 0)
            {
                int size = Size(spec, spec[(colon + 1)..]);
                string head = spec[..colon];
                int c2 = head.LastIndexOf(':');
                string? input = c2 > 0 ? head[..c2] : null;
                string posText = c2 > 0 ? head[(c2 + 1)..] : head;
                if (!int.TryParse(posText, NumberStyles.None, CultureInfo.InvariantCulture, out int pos))
                    throw new LowBitException(ErrorKind.Usage, $"--dim {spec}: expected POS:SIZE or INPUT:POS:SIZE with POS a dim index");
                var targets = input is null ? inputs : inputs.Where(v => v.Name == input).ToList();
                if (input is not null && targets.Count == 0)
                    throw new LowBitException(ErrorKind.Usage, $"--dim {spec}: the model has no input '{input}'; its inputs are: {string.Join(", ", g.Inputs.Select(v => v.Name))}");
                if (!targets.Any(v => pos < v.Shape!.Length && v.Shape[pos].Value is null))
                    throw new LowBitException(ErrorKind.Usage,
                        $"--dim {spec}: no {(input is null ? "input" : $"dim of '{input}'")} has a dynamic dimension at position {pos} ({string.Join("; ", targets.Select(v => $"{v.Name} {v.ShapeString}"))})");
                if (input is null) d.byPosition[pos] = size;
                else d.byInputPosition[(input, pos)] = size;
            }
            else
            {
                throw new LowBitException(ErrorKind.Usage, $"--dim {spec}: expected NAME=SIZE, POS:SIZE or INPUT:POS:SIZE (e.g. --dim batch=1 or --dim 0:1,1:512)");
            }
        }
        return d;
    }

    /// <summary>The size of dim <paramref name="pos"/> of <paramref name="v"/>: its fixed value, else the most specific
    /// --dim that applies, else 1.</summary>
    public int SizeOf(ValueInfo v, int pos)
    {
        var dim = v.Shape![pos];
        if (dim.Value is long k) return checked((int)k);
        if (byInputPosition.TryGetValue((v.Name, pos), out int s)) return s;
        if (dim.Param is string p && byName.TryGetValue(p, out s)) return s;
        return byPosition.TryGetValue(pos, out s) ? s : 1;
    }

    private static int Size(string spec, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
        : throw new LowBitException(ErrorKind.Usage, $"--dim {spec}: SIZE '{text}' must be a non-negative integer");

    private static string Unnamed(IEnumerable<ValueInfo> inputs) =>
        inputs.Any(v => v.Shape!.Any(x => x.Value is null))
            ? $" (their dynamic dims are unnamed: give them by position, e.g. --dim 0:1,1:512 for {inputs.First(v => v.Shape!.Any(x => x.Value is null)).ShapeString})"
            : " (all their dimensions are fixed)";
}
