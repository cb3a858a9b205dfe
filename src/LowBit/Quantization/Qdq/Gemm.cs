namespace LowBit.Quantization.Qdq;

/// <summary>
/// Gemm Y = α·op(A)·op(B) + β·C: A activation; B a weight (per output column: axis 0 when transB = 1, B [N, K], else
/// axis 1, B [K, N]) or a second activation; C int32 with scale s_A·s_B when α = β = 1 and C holds one value per column
/// ([N] or [1, N]), else left float. ONNX Runtime runs the result as QGemm (float output allowed).
/// </summary>
internal sealed class GemmQuantizer : IOpQuantizer
{
    public void Mark(NodeMarker m)
    {
        var n = m.Node;
        if (n.Inputs.Count < 2 || !m.IsActivation(n.Inputs[0])) return;
        string a = n.Inputs[0], b = n.Inputs[1];
        bool transB = (n.Get<long?>("transB") ?? 0) != 0;
        bool weight = m.IsFloatInitializer(b) && m.Initializer(b).Rank == 2;
        if (!weight && !m.IsActivation(b)) return;
        m.Activation(a);
        if (weight) m.Weight(b, transB ? 0 : 1, transB ? 1 : 0);
        else m.Activation(b);
        if (weight && n.Inputs.Count > 2 && n.Inputs[2].Length > 0 && UnitScales(n) && m.IsFloatInitializer(n.Inputs[2]))
        {
            var c = m.Initializer(n.Inputs[2]);
            int cols = m.Initializer(b).Shape[transB ? 0 : 1];
            if (c.Length == cols && (c.Rank == 1 || (c.Rank == 2 && c.Shape[0] == 1))) m.Bias(2, a, b);
        }
        m.Output(n.Outputs[0]);
    }

    private static bool UnitScales(Graph.Node n) =>
        (n.Get<float?>("alpha") ?? 1f) == 1f && (n.Get<float?>("beta") ?? 1f) == 1f && (n.Get<long?>("transA") ?? 0) == 0;
}
