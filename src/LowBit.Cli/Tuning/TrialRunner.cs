using System.Diagnostics;
using System.Security.Cryptography;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Tensors;

namespace LowBit.Cli.Tuning;

/// <summary>What every trial of one <c>lowbit tune</c> run shares: the float model, the calibration samples (materialized
/// once), the labelled eval data and the formats.</summary>
internal sealed record TuneInputs(string ModelPath, Graph.Graph Graph, Graph.ValueInfo Input, TuneBase Base, string CalibName,
    IReadOnlyList<IReadOnlyDictionary<string, Tensor>> Calibration, Dataset Eval, int? EvalSamples, int Threads)
{
    public IReadOnlyList<string> WeightedLayers { get; } = TuneFlags.WeightedLayers(Graph);

    public IReadOnlySet<string> OpTypes { get; } = Graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);

    /// <summary>What a trial's result depends on besides its config: the model's bytes, formats, data and sample counts.
    /// Log lines of another context are not reused.</summary>
    public string Context()
    {
        using var s = File.OpenRead(ModelPath);
        string model = Convert.ToHexStringLower(SHA256.HashData(s))[..16];
        int evalCount = Math.Min(Eval.Count, EvalSamples ?? int.MaxValue);
        return $"model={model};weights={Base.Weights};activations={Base.Activations};calib={Base.CalibSpec}[0:{Calibration.Count}];eval={Eval.Name}[0:{evalCount}]";
    }
}

/// <summary>
/// One trial: quantize the float model with the config (<see cref="TuneFlags"/>: quantize's own flag parsing, quantize's
/// pipeline, the same calibration samples) and measure the exported model's top-1 in ONNX Runtime on the eval data
/// (<see cref="OrtAccuracy"/>) and its file size. Deterministic: same config, same inputs → same numbers. A config the
/// quantizer rejects (a combination the library does not support) is a failed trial, logged with its error, not a crash.
/// </summary>
internal sealed class TrialRunner(CliContext ctx, TuneInputs s, IPhaseProgress progress)
{
    private readonly OrtAccuracy judge = new(ctx, s.Graph, s.Input, s.Eval, s.EvalSamples, s.Threads, progress);
    private string? context;

    public string Context => context ??= s.Context();
    public int EvalSamples => judge.Samples;
    public double FloatTop1 => judge.FloatTop1;

    public List<string> Flags(TuneConfig c) => TuneFlags.Of(c, s.Base, s.WeightedLayers);

    /// <summary>Builds every config of <paramref name="space"/> (cheap), so a bad value is a usage error before any trial.</summary>
    public void Validate(TuneSpace space)
    {
        foreach (var c in space.Grid()) TuneFlags.ToConfig(c, Flags(c), s.OpTypes);
    }

    public QuantizedModel Quantize(TuneConfig c, string label)
    {
        var config = TuneFlags.ToConfig(c, Flags(c), s.OpTypes);
        var copts = new CalibrationOptions(s.Calibration.Count, null, $"{s.CalibName}[0:{s.Calibration.Count}]")
        {
            Threads = s.Threads, DataSpec = s.Base.CalibSpec, Cancellation = ctx.Cancellation,
            AlgorithmProgress = PhaseProgress.Algorithm(progress, ctx, $"{label}: {ConfigNames.Name(config.Algorithm.Algorithm)}"),
        };
        return QuantizePipeline.Run(s.Graph, config, s.Calibration, PhaseProgress.Calibration(progress), copts, stored: null,
            sourcePath: Path.GetFullPath(s.ModelPath));
    }

    public TrialRecord Run(TuneConfig c, string label)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var q = Quantize(c, label);
            ctx.ThrowIfCancelled();
            long bytes = OnnxExporter.ToBytes(q.Graph).LongLength;
            double top1 = judge.Top1(q.Graph, label);
            return new TrialRecord(c.Key, Context, top1, bytes, Math.Round(clock.Elapsed.TotalSeconds, 2));
        }
        catch (LowBitException e)
        {
            ctx.Trace($"{label} {c.Key} failed: {e.Message}");
            return new TrialRecord(c.Key, Context, null, null, Math.Round(clock.Elapsed.TotalSeconds, 2), CliContext.OneLine(e.Message));
        }
    }
}
