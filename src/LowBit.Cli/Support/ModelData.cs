using LowBit.Data;
using LowBit.Data.Inputs;
using LowBit.Graph;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Opens a data spec for a single-input model and checks it fits before any work starts, so a wrong spec is one
/// line naming the flag, what the model expects and what the data gives.</summary>
internal static class ModelData
{
    /// <summary>The one input a dataset feeds; an error naming the model's inputs when it has several or none.</summary>
    public static ValueInfo SingleInput(Graph.Graph g, string model)
    {
        var inputs = g.RealInputs.ToList();
        return inputs.Count switch
        {
            1 => inputs[0],
            0 => throw new LowBitException(ErrorKind.InvalidInput, $"{model}: the model has no inputs to feed data to"),
            _ => throw new LowBitException(ErrorKind.InvalidInput,
                $"{model}: a data spec feeds one input; the model has {inputs.Count}: {string.Join(", ", inputs.Select(v => v.Name))}"),
        };
    }

    /// <summary>The model's one input, or null when it has several (or none).</summary>
    public static ValueInfo? SingleInputOrNull(Graph.Graph g) => g.RealInputs.Take(2).ToList() is [var only] ? only : null;

    /// <summary>Parses <c>--stream OUTPUT=INPUT</c> values and checks both names against the model.</summary>
    public static IReadOnlyList<StreamBinding> Streams(IReadOnlyList<string> specs, Graph.Graph g, string model)
    {
        var bindings = new List<StreamBinding>();
        foreach (var spec in specs)
        {
            StreamBinding b;
            try { b = StreamBinding.Parse(spec); }
            catch (LowBitException e) { throw new LowBitException(e.Kind, $"--stream {e.Message}"); }
            if (!g.Outputs.Any(v => v.Name == b.Output))
                throw new LowBitException(ErrorKind.Usage, $"--stream {spec}: {model} has no output '{b.Output}'; its outputs are: {string.Join(", ", g.Outputs.Select(v => v.Name))}");
            if (!g.RealInputs.Any(v => v.Name == b.Input))
                throw new LowBitException(ErrorKind.Usage, $"--stream {spec}: {model} has no input '{b.Input}'; its inputs are: {string.Join(", ", g.RealInputs.Select(v => v.Name))}");
            if (bindings.Any(x => x.Input == b.Input))
                throw new LowBitException(ErrorKind.Usage, $"--stream {spec}: input '{b.Input}' is already fed back");
            bindings.Add(b);
        }
        return bindings;
    }

    /// <summary>Opens <paramref name="spec"/> as model calls for every input of <paramref name="g"/> except the streamed
    /// ones (each sample in the input's own dtype and shape); errors are prefixed with <paramref name="flag"/> and the spec.</summary>
    public static SampleSource OpenSamples(string spec, Graph.Graph g, IReadOnlyList<StreamBinding> streams, string flag)
    {
        try
        {
            var source = DataSpec.OpenInputs(spec, g.RealInputs.ToList(), streams.Select(s => s.Input).ToHashSet(StringComparer.Ordinal));
            if (source.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{source.Name} holds no samples");
            source.Read(0);  // dtype and shape of the first sample checked now, before any work (the others as they are read)
            return source;
        }
        catch (LowBitException e) when (!e.Message.StartsWith(flag, StringComparison.Ordinal))
        {
            string message = e.Message.StartsWith(spec + ": ", StringComparison.Ordinal) ? e.Message[(spec.Length + 2)..] : e.Message;
            throw new LowBitException(e.Kind, $"{flag} {spec}: {message}", e);
        }
    }

    /// <summary>The spec as a single-input <see cref="Dataset"/> (for report sections that batch one input), or null when it
    /// is not one (several inputs, integer data, samples of different shapes).</summary>
    public static Dataset? TryOpenDataset(string spec, ValueInfo input)
    {
        try
        {
            var data = Open(spec, input, "--calib-data");
            // A folder of .npy is typed by its first file: probe the last so differing shapes give null here, not an error mid-report.
            data.GetSample(data.Count - 1);
            return data;
        }
        catch (LowBitException) { return null; }
    }

    /// <summary>Inputs for checking the exported model: the first calibration sample, else a single input's batch-1 random
    /// values (its fixed batch dim kept), else random values for every input.</summary>
    public static Dictionary<string, Tensor> CheckInputs(Graph.Graph g, ValueInfo? input, SampleSource? source) =>
        source is null && input is not null ? QuantReportBuilder.BenchInputs(g, input, null) : FirstInputs(g, source);

    /// <summary>One call's inputs for checking an exported model: the first calibration sample (streamed state and missing
    /// inputs random), else random values of the declared shapes (symbolic dims 1).</summary>
    public static Dictionary<string, Tensor> FirstInputs(Graph.Graph g, SampleSource? source)
    {
        var random = ModelInputs.Build(g, new InputRequest([], true, 0, []), out _);
        if (source is null || source.Count == 0) return random;
        foreach (var (name, t) in source.Read(0)) random[name] = t;
        return random;
    }

    /// <summary>The batch size data is fed with: the input's fixed first dim, else <paramref name="wanted"/>.</summary>
    public static int BatchFor(ValueInfo input, int wanted) => EvalData.BatchSizeFor(input, wanted);

    /// <summary>Opens <paramref name="spec"/> for <paramref name="input"/> and checks dtype and sample shape; errors are
    /// prefixed with <paramref name="flag"/> and the spec (once: a message that already starts with the spec keeps
    /// only the flag added).</summary>
    public static Dataset Open(string spec, ValueInfo input, string flag)
    {
        try
        {
            int[]? sampleShape;
            try { sampleShape = DataValidation.SampleShapeFor(input); }
            catch (LowBitException) { sampleShape = null; }
            var data = DataSpec.Open(spec, sampleShape);
            DataValidation.CheckMatches(data, input, BatchFor(input, 1));
            if (data.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{data.Name} holds no samples");
            return data;
        }
        catch (LowBitException e) when (!e.Message.StartsWith(flag, StringComparison.Ordinal))
        {
            string message = e.Message.StartsWith(spec + ": ", StringComparison.Ordinal) ? e.Message[(spec.Length + 2)..] : e.Message;
            throw new LowBitException(e.Kind, $"{flag} {spec}: {message}", e);
        }
    }

    /// <summary>
    /// The data is shaped for <paramref name="input"/> of <paramref name="reference"/>; <paramref name="model"/> must read
    /// an input of the same name, dtype and shape (known dims equal), else an error naming the model file and both inputs.
    /// </summary>
    public static void CheckSameInput(ValueInfo input, string reference, Graph.Graph other, string model)
    {
        var theirs = other.RealInputs.ToList();
        var same = theirs.FirstOrDefault(v => v.Name == input.Name);
        if (same is not null && same.DType == input.DType && ShapesAgree(same, input)) return;
        string Describe(IEnumerable<ValueInfo> vs) => string.Join(", ", vs.Select(v => $"{v.Name} {v.DType.Name()} {v.ShapeString}"));
        string what = same is null ? $"has no input '{input.Name}'" : $"input '{input.Name}' is {same.DType.Name()} {same.ShapeString}";
        throw new LowBitException(ErrorKind.InvalidInput,
            $"{model}: {what}; the two models' inputs differ ({reference}: {Describe([input])}; {model}: {Describe(theirs)})");
    }

    private static bool ShapesAgree(ValueInfo a, ValueInfo b)
    {
        if (a.Shape is null || b.Shape is null) return true;
        if (a.Shape.Length != b.Shape.Length) return false;
        for (int i = 0; i < a.Shape.Length; i++)
            if (a.Shape[i].Value is long x && b.Shape[i].Value is long y && x != y) return false;
        return true;
    }

    /// <summary>The first <paramref name="count"/> samples one at a time (batch 1), as model inputs: calibration feeds them
    /// to the quantizer, which checks each for NaN/Inf and names the sample.</summary>
    public static IEnumerable<IReadOnlyDictionary<string, Tensor>> Samples(Dataset data, string input, int count) =>
        EvalData.Batches(data, input, 1, Math.Min(count, data.Count)).Select(b => b.Inputs);
}
