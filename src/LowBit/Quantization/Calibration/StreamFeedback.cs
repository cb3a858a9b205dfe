using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Calibration;

/// <summary>
/// The state of <see cref="CalibrationOptions.Streams"/> during one calibration pass: <see cref="Feed"/> puts the current
/// state into a sample's inputs, <see cref="Advance"/> takes the next state from the call's outputs. Invariant: after
/// call k, state[input] = output of call k (a copy: the session may reuse its output buffers).
/// </summary>
internal sealed class StreamFeedback
{
    private readonly StreamBinding[] bindings;
    private readonly Dictionary<string, ValueInfo> inputs;
    private readonly Dictionary<string, Tensor?> state = new(StringComparer.Ordinal);

    public StreamFeedback(Graph.Graph g, IReadOnlyList<StreamBinding> bindings)
    {
        this.bindings = bindings.ToArray();
        inputs = g.Inputs.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var outputs = g.Outputs.ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var b in bindings)
        {
            if (!outputs.TryGetValue(b.Output, out var o))
                throw new LowBitException(ErrorKind.Usage, $"stream {b}: the model has no output '{b.Output}'; its outputs are: {string.Join(", ", outputs.Keys)}");
            if (!inputs.TryGetValue(b.Input, out var i))
                throw new LowBitException(ErrorKind.Usage, $"stream {b}: the model has no input '{b.Input}'; its inputs are: {string.Join(", ", inputs.Keys)}");
            if (o.DType != DType.Undefined && i.DType != DType.Undefined && o.DType != i.DType)
                throw new LowBitException(ErrorKind.InvalidModel, $"stream {b}: output '{b.Output}' is {o.DType.Name()}, input '{b.Input}' takes {i.DType.Name()}");
            if (b.Initial is { } init && !i.Accepts(init.Shape))
                throw new LowBitException(ErrorKind.Usage, $"stream {b}: the initial value has shape {init.ShapeString}; input '{b.Input}' takes {i.ShapeString}");
            state[b.Input] = b.Initial;
        }
    }

    public bool Active => bindings.Length > 0;

    /// <summary>The sample with every streamed input set to the current state.</summary>
    public IReadOnlyDictionary<string, Tensor> Feed(IReadOnlyDictionary<string, Tensor> sample)
    {
        if (!Active) return sample;
        var fed = new Dictionary<string, Tensor>(sample, StringComparer.Ordinal);
        foreach (var b in bindings)
            fed[b.Input] = state[b.Input] ??= sample.TryGetValue(b.Input, out var given) ? given : Zeros(b);
        return fed;
    }

    public void Advance(IReadOnlyDictionary<string, Tensor> outputs)
    {
        foreach (var b in bindings)
        {
            var next = outputs[b.Output];
            var cur = state[b.Input]!;
            if (!next.Shape.AsSpan().SequenceEqual(cur.Shape))
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"stream {b}: output '{b.Output}' has shape {next.ShapeString}, the state fed in had {cur.ShapeString}; the state must keep its shape");
            state[b.Input] = next.Clone();
        }
    }

    private Tensor Zeros(StreamBinding b)
    {
        var v = inputs[b.Input];
        if (v.Shape is null || v.Shape.Any(d => d.Value is null))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"stream {b}: input '{b.Input}' has shape {v.ShapeString}; its first value cannot be zeros of an unknown shape: give an initial value (in the data, e.g. {b.Input}=FILE.npy)");
        return Tensor.Zeros(v.DType == DType.Undefined ? DType.Float32 : v.DType, v.Shape.Select(d => checked((int)d.Value!.Value)).ToArray());
    }
}
