namespace LowBit.Quantization.Qdq;

/// <summary>
/// Relu and Clip. After a quantized Conv/Gemm/MatMul/Add/Mul whose only reader it is, the pair stays unsplit and the
/// activation's output gets its own scale: ONNX Runtime then removes the Relu/Clip into the Q (its range starts at 0 or
/// lies inside the clip bounds) and fuses DQ→Conv→Q. Standalone, it is a pass-through op (output range ⊂ input range).
/// </summary>
internal sealed class ActivationQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count == 0 || n.Outputs.Count == 0) return;
        if (m.IsFusedActivationInput(n.Inputs[0])) m.Output(n.Outputs[0], fusableProducer: false);
        else m.SameAs(n.Outputs[0], n.Inputs[0]);
    }
}

/// <summary>
/// Softmax, LayerNormalization and Gelu, when the config lists them: input and output quantized with their own scales.
/// Off by default: their outputs are sensitive to 8-bit error and ONNX Runtime's CPU kernels for them gain little.
/// </summary>
internal sealed class InputOutputQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count == 0 || !m.IsActivation(n.Inputs[0])) return;
        m.Activation(n.Inputs[0]);
        m.Output(n.Outputs[0], fusableProducer: false);
    }
}
