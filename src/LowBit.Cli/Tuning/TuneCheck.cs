using System.CommandLine;
using LowBit.Cli.Commands;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Cli.Tuning;

/// <summary>Everything <c>lowbit tune</c> checks before its first trial: paths, data, formats, every config of the space.</summary>
internal static class TuneCheck
{
    /// <summary>The model exists; --out is a new .onnx that is not the input (replaced only with --force); the log is a
    /// writable file distinct from both (it is appended to, never replaced).</summary>
    public static void Paths(string model, string? output, string log, bool force, bool singleTrial)
    {
        if (!File.Exists(model)) throw new LowBitException(ErrorKind.FileNotFound, $"{model}: file not found");
        string[] inputs = [model];
        if (output is not null && !singleTrial)
        {
            if (OutputFiles.SamePath(model, output))
                throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: is the input model; choose another path (the float model is never overwritten)");
            OutputFiles.CheckModel("--out", output, force, inputs);
            OutputFiles.CheckFile("--out", QuantizedModel.ManifestPathFor(output), inputs);
            OutputFiles.CheckDistinct(("--out", output), ("--out manifest", QuantizedModel.ManifestPathFor(output)), ("--log", log));
        }
        if (log.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new LowBitException(ErrorKind.Usage, $"--log {log}: the trial log is JSON lines; give it another extension (e.g. .jsonl)");
        OutputFiles.CheckFile("--log", log, inputs);
    }

    public static TuneInputs Open(CliContext ctx, TuneOptions o, ParseResult pr, string model)
    {
        string data = pr.GetValue(o.Data) ?? throw new LowBitException(ErrorKind.Usage, "tune needs --data SPEC: the calibration data of every trial (e.g. fashion-mnist:train)");
        string evalSpec = pr.GetValue(o.Eval) ?? throw new LowBitException(ErrorKind.Usage, "tune needs --eval SPEC: labelled data every trial's top-1 is measured on (e.g. fashion-mnist:test)");
        string weights = pr.GetValue(o.Weights)!, acts = pr.GetValue(o.Activations)!;
        if (QuantizeOptions.IsNone(acts))
            throw new LowBitException(ErrorKind.Usage, $"--activations {acts}: tune searches static configurations (the observer is a dimension); give an activation format such as uint8");
        ctx.Trace($"loading {model}");
        var graph = OnnxImporter.Load(model);
        QuantizePipeline.ThrowIfQuantized(graph, model);
        UnsupportedOps.ThrowIfAny(graph, model);
        var input = ModelData.SingleInput(graph, model);
        var eval = ModelData.Open(evalSpec, input, "--eval");
        if (!eval.HasLabels) throw new LowBitException(ErrorKind.Usage, $"--eval {evalSpec}: {eval.Name} has no labels; trials are judged by top-1");
        var calib = ModelData.OpenSamples(data, graph, [], "--data");
        foreach (var w in calib.Warnings) ctx.Warn(w);
        int count = Math.Min(pr.GetValue(o.CalibSamples) ?? QuantizeOptions.DefaultCalibSamples, calib.Count);
        var samples = calib.Take(count).ToList();
        return new TuneInputs(model, graph, input, new TuneBase(weights, acts, data, count), calib.Name, samples, eval, pr.GetValue(o.EvalSamples), pr.GetValue(o.Threads));
    }

    public static void Validate(TrialRunner runner, TuneSpace space) => runner.Validate(space);
}
