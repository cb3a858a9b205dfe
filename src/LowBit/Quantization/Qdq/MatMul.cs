namespace LowBit.Quantization.Qdq;

/// <summary>
/// MatMul A·B: A activation; B a weight [.., K, N] (per output column along the last axis, groups along K) or a second
/// activation (attention scores). ONNX Runtime runs the result as QLinearMatMul, or MatMulIntegerToFloat when the
/// output stays float.
/// </summary>
internal sealed class MatMulQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count < 2 || !m.IsActivation(n.Inputs[0])) return;
        string a = n.Inputs[0], b = n.Inputs[1];
        bool weight = m.IsFloatInitializer(b) && m.Initializer(b).Rank >= 2;
        if (!weight && !m.IsActivation(b)) return;
        m.Activation(a);
        if (weight)
        {
            int rank = m.Initializer(b).Rank;
            m.Weight(b, rank - 1, rank - 2);
        }
        else m.Activation(b);
        m.Output(n.Outputs[0]);
    }
}
