namespace LowBit.Quantization.Qdq;

/// <summary>
/// LSTM, GRU and RNN: the input weights W [dirs, G·H, in] and recurrent weights R [dirs, G·H, H] are marked as weights
/// (one scale per gate row: channel axis 1, reduction axis 2); X, the states and the outputs are never marked, so the
/// recurrence itself runs in float in every mode:
/// <list type="bullet">
/// <item>weight-only and static: W and R become int8 behind DequantizeLinear feeding the float op (ONNX Runtime has no
/// QDQ-fused LSTM/GRU; the Conv/MatMul around it still get their Q/DQ in static mode);</item>
/// <item>dynamic: LSTM becomes com.microsoft DynamicQuantizeLSTM (<see cref="Dynamic.RecurrentRewriter"/>); GRU and RNN,
/// for which ONNX Runtime has no dynamic kernel, keep the weight-only form.</item>
/// </list>
/// B and P stay float (they are added, not multiplied, so 8 bits would save little and cost accuracy).
/// </summary>
internal sealed class RecurrentQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        for (int i = 1; i <= 2 && i < n.Inputs.Count; i++)
            if (m.IsFloatInitializer(n.Inputs[i]) && m.Initializer(n.Inputs[i]).Rank == 3)
                m.Weight(n.Inputs[i], channelAxis: 1, reductionAxis: 2);
    }
}
