namespace LowBit.Quantization.Qdq;

/// <summary>
/// Data-movement and order-preserving ops whose outputs take their input's scale (pools, reshapes, transposes, slices,
/// gathers, resizes, pads, splits): every output value lies in the input's range, so one scale serves both and ONNX
/// Runtime moves the integers through (or runs the op on them). Quantized only when the data input already is.
/// </summary>
internal sealed class PassThroughQuantizer : IOpQuantizer
{
    /// <summary>Outputs that carry data (MaxPool's second output holds int64 indices).</summary>
    private readonly int outputs;

    public PassThroughQuantizer(int outputs = int.MaxValue) => this.outputs = outputs;

    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count == 0) return;
        for (int o = 0; o < Math.Min(outputs, n.Outputs.Count); o++)
            if (n.Outputs[o].Length > 0) m.SameAs(n.Outputs[o], n.Inputs[0]);
    }
}
