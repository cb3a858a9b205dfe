using System.CommandLine;
using LowBit.Cli.Commands;
using LowBit.Quantization;

namespace LowBit.Cli.Tuning;

/// <summary>What every trial shares: the weight and activation formats and the calibration data (as quantize flags).</summary>
internal sealed record TuneBase(string Weights, string Activations, string CalibSpec, int CalibSamples);

/// <summary>
/// A <see cref="TuneConfig"/> as <c>lowbit quantize</c> flags, and those flags parsed by quantize's own options
/// (<see cref="QuantizeOptions.ToConfig"/>) into the <see cref="QuantizerConfig"/> a trial runs. One path: the flags
/// printed for the best trial reproduce its model, and a bad value is quantize's usage error.
/// </summary>
internal static class TuneFlags
{
    /// <summary>Conv/Gemm/MatMul nodes with a constant weight, in graph order: what exclude=first/last refers to.</summary>
    public static IReadOnlyList<string> WeightedLayers(Graph.Graph g) =>
        g.Nodes.Where(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Inputs.Count > 1 && g.Initializers.ContainsKey(n.Inputs[1]))
            .Select(n => n.Name).ToList();

    public static IReadOnlyList<string> Excluded(string exclusion, IReadOnlyList<string> layers) => exclusion switch
    {
        "none" => [],
        "first" => layers.Take(1).ToList(),
        "last" => layers.TakeLast(1).ToList(),
        "first+last" => layers.Count <= 1 ? layers : [layers[0], layers[^1]],
        _ => throw new LowBitException(ErrorKind.Usage, $"unknown exclusion '{exclusion}'; known: {string.Join(", ", TuneSpace.Exclusions)}"),
    };

    /// <summary>The quantize flags of <paramref name="c"/> (without the model and --out).</summary>
    public static List<string> Of(TuneConfig c, TuneBase b, IReadOnlyList<string> layers)
    {
        var f = new List<string>
        {
            "--weights", b.Weights, "--activations", b.Activations,
            "--calibration", c.Get("observer"), "--granularity", c.Get("granularity"), "--weight-range", c.Get("weight-range"),
        };
        if (c.Get("algorithm") is not ("nearest" or "rtn")) f.AddRange(["--algorithm", c.Get("algorithm")]);
        if (c.Get("bias-correction") is not ("none" or "off")) f.AddRange(["--bias-correction", c.Get("bias-correction")]);
        foreach (var n in Excluded(c.Get("exclude"), layers)) f.AddRange(["--exclude", n]);
        f.AddRange(["--calib-data", b.CalibSpec, "--calib-samples", b.CalibSamples.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return f;
    }

    /// <summary>Parses <paramref name="flags"/> with quantize's options; a usage error names the trial.</summary>
    public static QuantizerConfig ToConfig(TuneConfig c, IReadOnlyList<string> flags, IReadOnlySet<string> opTypes)
    {
        var o = new QuantizeOptions();
        var cmd = new Command("quantize");
        foreach (var s in o.All) SensitivityCommand.Add(cmd, s);
        var pr = cmd.Parse(["model.onnx", "--out", "out.onnx", .. flags]);
        try
        {
            if (pr.Errors.Count > 0) throw new LowBitException(ErrorKind.Usage, string.Join("; ", pr.Errors.Select(e => e.Message)));
            return o.ToConfig(pr, opTypes);
        }
        catch (LowBitException e)
        {
            throw new LowBitException(e.Kind, $"--space: trial {c.Key}: {e.Message}", e);
        }
    }

    /// <summary>The flags as one shell-ready line (values quoted where needed).</summary>
    public static string Line(IEnumerable<string> flags) =>
        string.Join(' ', flags.Select(f => f.Length > 0 && f.All(ch => char.IsLetterOrDigit(ch) || "-_.:/=+,".Contains(ch)) ? f : "'" + f.Replace("'", "'\\''") + "'"));
}
