using System.CommandLine;
using LowBit.Nn.Training;
using LowBit.Onnx;

namespace LowBit.Cli.Commands;

/// <summary>
/// Representation alignment flags shared by <c>train</c> and <c>qat</c>: <c>--guide FILE --align STUDENT=GUIDE ...
/// [--align-weight λ]</c> add λ·Σ (1 − linear CKA) between each student value and its guide value to the loss
/// (<see cref="Nn.Alignment"/>).
/// </summary>
internal sealed class AlignmentOptions
{
    public Option<string?> Guide { get; } = new("--guide") { Description = "Align intermediate layers to this guide network (linear CKA; any widths)", HelpName = "FILE" };
    public Option<string[]> Align { get; } = new("--align") { Description = "A student value and the guide value it is aligned to (repeatable; names from lowbit inspect)", HelpName = "STUDENT=GUIDE", Arity = ArgumentArity.ZeroOrMore };
    public Option<double?> Weight { get; } = CommonOptions.Number("--align-weight", 0, exclusive: false, "λ, the weight of each alignment term (default 1)", "L");

    public IEnumerable<Symbol> All => [Guide, Align, Weight];

    /// <summary>The setup with the guide loaded and the pairs parsed; unchanged without --guide (--align or --align-weight
    /// alone is a usage error).</summary>
    public TrainerSetup Apply(ParseResult pr, TrainerSetup setup)
    {
        var pairs = (pr.GetValue(Align) ?? []).Select(Pair).ToList();
        if (pr.GetValue(Guide) is not string path)
        {
            if (pairs.Count > 0 || pr.GetValue(Weight) is not null)
                throw new LowBitException(ErrorKind.Usage, "--align and --align-weight need --guide FILE (the network to align to)");
            return setup;
        }
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"--guide {path}: file not found");
        return setup with { Guide = OnnxImporter.Load(path), Align = pairs, AlignmentWeight = pr.GetValue(Weight) ?? 1 };
    }

    private static (string, string) Pair(string s)
    {
        int eq = s.IndexOf('=');
        if (eq <= 0 || eq == s.Length - 1)
            throw new LowBitException(ErrorKind.Usage, $"--align {s}: expected STUDENT=GUIDE (two value names)");
        return (s[..eq].Trim(), s[(eq + 1)..].Trim());
    }
}
