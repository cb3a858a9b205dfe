namespace LowBit.Quantization.Qdq;

/// <summary>
/// Concat: every input and the output share one scale and zero point, so the quantized tensors concatenate as integers
/// (ONNX Runtime drops the Q/DQ pairs around it). Concats of constants or integers stay float.
/// </summary>
internal sealed class ConcatQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        var inputs = n.Inputs.Where(i => i.Length > 0).ToList();
        if (inputs.Count == 0 || !inputs.All(m.IsActivation)) return;
        foreach (var i in inputs) m.Activation(i);
        m.Output(n.Outputs[0], fusableProducer: false);
        m.Share([.. inputs, n.Outputs[0]]);
    }
}
