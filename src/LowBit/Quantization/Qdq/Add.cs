namespace LowBit.Quantization.Qdq;

/// <summary>
/// Add and Mul, quantized as ONNX Runtime's QLinearAdd/QLinearMul fuse them: both inputs DQ, output Q. A constant
/// operand (bias vector, scale factor) is stored in the activation format per tensor, since both inputs of those kernels
/// share one type. Nodes with integer inputs (shape arithmetic) stay float, and so do nodes whose output cannot be
/// quantized (a graph output, or read by a float Softmax): without the output Q there is no integer kernel to feed.
/// </summary>
internal sealed class BinaryQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count != 2 || n.Outputs.Count != 1 || !m.OutputQuantizable(n.Outputs[0])) return;
        string a = n.Inputs[0], b = n.Inputs[1];
        bool aAct = m.IsActivation(a), bAct = m.IsActivation(b);
        if (!(aAct || bAct) || !(aAct || m.IsFloatInitializer(a)) || !(bAct || m.IsFloatInitializer(b))) return;
        foreach (var v in n.Inputs)
        {
            if (m.IsActivation(v)) m.Activation(v);
            else m.ConstantOperand(v);
        }
        m.Output(n.Outputs[0]);
    }
}
