using LowBit.Data;
using LowBit.Graph;
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
