namespace LowBit.Quantization.Qdq;

/// <summary>
/// Conv and ConvTranspose: input activation, weight per output channel, bias int32 (s_x·s_w), output (after a following
/// Relu/Clip when there is one). Layouts: Conv W [M, C/g, k…] (channels axis 0, reduction axis 1); ConvTranspose
/// W [C, M/g, k…] (channels axis 1, reduction axis 0; per channel only when group = 1, as axis 1 then holds all M
/// outputs). ONNX Runtime runs the result as QLinearConv. Dynamic mode (ConvInteger): Conv only, weight zero point one
/// scalar, so asymmetric weights fall back to per tensor.
/// </summary>
internal sealed class ConvQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count < 2 || !m.IsActivation(n.Inputs[0]) || !m.IsFloatInitializer(n.Inputs[1])) return;
        bool transposed = n.OpType == "ConvTranspose";
        long group = n.Get<long?>("group") ?? 1;
        // Dynamic mode has ConvInteger only, whose weight zero point must be one scalar: per-channel needs symmetric.
        if (m.Mode == QuantMode.Dynamic && transposed) return;
        bool scalarZeroPoint = m.Mode != QuantMode.Dynamic || m.Settings.Weights.Scheme == QuantScheme.Symmetric;
        string x = n.Inputs[0], w = n.Inputs[1];
        m.Activation(x);
        m.Weight(w, transposed ? 1 : 0, transposed ? 0 : 1, perChannelAllowed: (!transposed || group == 1) && scalarZeroPoint);
        if (n.Inputs.Count > 2 && n.Inputs[2].Length > 0) m.Bias(2, x, w);
        m.Output(n.Outputs[0]);
    }
}
