using LowBit.Graph;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// A weighted node seen as a matrix product per group: y[o] = Σ_k W[o, k]·x[k] (+ b[o]), o = output channel,
/// k ∈ [0, Cols) within group ⌊o / RowsPerGroup⌋. The matrix is row-major [Rows, Cols]:
/// Conv W [M, C/g, k₁…] is already that (Cols = C/g·k₁⋯); MatMul B [K, N] and Gemm B [K, N] (transB = 0) are transposed
/// (Rows = N, Cols = K); Gemm B [N, K] (transB = 1) is used as is. The input vector x of one output position is the node's
/// input row (MatMul/Gemm) or the receptive-field patch of the group's input channels (Conv, see <see cref="Patches"/>).
/// </summary>
internal sealed class LinearLayer
{
    public Node Node { get; }
    public WeightMark Mark { get; }
    public QuantParams Params { get; }
    /// <summary>Stable node key (<see cref="Marker.Key"/>), for progress, manifest and errors.</summary>
    public string Key { get; }
    public string Weight => Mark.Initializer;
    /// <summary>The activation the layer multiplies (input 0).</summary>
    public string Input => Node.Inputs[0];
    /// <summary>Bias initializer name, or null (no bias or not an initializer).</summary>
    public string? Bias { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int Groups { get; }
    public int RowsPerGroup => Rows / Groups;
    /// <summary>Weight tensor index of matrix element (o, k) is <c>o·RowStride + k·ColStride</c>.</summary>
    private readonly int rowStride, colStride;

    /// <summary>Shape of the weight tensor.</summary>
    public int[] WeightShape { get; }

    private LinearLayer(Node node, WeightMark mark, QuantParams p, int[] weightShape, string? bias, int rows, int cols, int groups, int rowStride, int colStride)
    {
        Node = node; Mark = mark; Params = p; WeightShape = weightShape; Key = Marker.Key(node); Bias = bias;
        Rows = rows; Cols = cols; Groups = groups; this.rowStride = rowStride; this.colStride = colStride;
    }

    /// <summary>The layer view of a marked weight, or null with the reason it has none (the algorithm then leaves the
    /// weight to round to nearest).</summary>
    public static LinearLayer? TryCreate(Graph.Graph g, WeightMark mark, QuantParams p, out string reason)
    {
        var n = mark.Node;
        var w = g.Initializers[mark.Initializer];
        reason = "";
        string? Bias(int i) => n.Inputs.Count > i && n.Inputs[i].Length > 0 && g.Initializers.ContainsKey(n.Inputs[i]) ? n.Inputs[i] : null;
        if (n.Inputs.Count < 2 || n.Inputs[1] != mark.Initializer) { reason = "the weight is not the node's second input"; return null; }
        switch (n.OpType)
        {
            case "Conv" when w.Rank >= 3:
            {
                int groups = (int)(n.Get<long?>("group") ?? 1);
                int cols = (int)(w.Length / w.Shape[0]);
                return new LinearLayer(n, mark, p, w.Shape, Bias(2), w.Shape[0], cols, groups, cols, 1);
            }
            case "MatMul" when w.Rank == 2:
                return new LinearLayer(n, mark, p, w.Shape, null, w.Shape[1], w.Shape[0], 1, 1, w.Shape[1]);
            case "Gemm" when w.Rank == 2:
                if ((n.Get<long?>("transA") ?? 0) != 0) { reason = "Gemm with transA"; return null; }
                bool transB = (n.Get<long?>("transB") ?? 0) != 0;
                return transB
                    ? new LinearLayer(n, mark, p, w.Shape, Bias(2), w.Shape[0], w.Shape[1], 1, w.Shape[1], 1)
                    : new LinearLayer(n, mark, p, w.Shape, Bias(2), w.Shape[1], w.Shape[0], 1, 1, w.Shape[1]);
            default:
                reason = $"{n.OpType} with a rank-{w.Rank} weight is not a matrix product per output channel";
                return null;
        }
    }

    /// <summary>Flat weight-tensor index of matrix element (o, k).</summary>
    public int TensorIndex(int o, int k) => o * rowStride + k * colStride;

    /// <summary>The weights as the [Rows, Cols] matrix.</summary>
    public float[] ReadMatrix(Graph.Graph g)
    {
        var w = QdqParams.Floats(g.Initializers[Weight]);
        var m = new float[Rows * Cols];
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++) m[o * Cols + k] = w[TensorIndex(o, k)];
        return m;
    }

    /// <summary>Replaces the weight initializer (keeping its dtype and shape) by the [Rows, Cols] matrix.</summary>
    public void WriteMatrix(Graph.Graph g, ReadOnlySpan<float> m)
    {
        var old = g.Initializers[Weight];
        var w = new float[old.Length];
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++) w[TensorIndex(o, k)] = m[o * Cols + k];
        var t = Tensor.FromArray(w, old.Shape);
        g.Initializers[Weight] = old.DType == DType.Float32 ? t : Elementwise.Cast(t, old.DType);
    }

    /// <summary>The grid every matrix element is quantized to (its scale and zero point under <see cref="Params"/>).</summary>
    public ElementGrid Grid()
    {
        var scaleOf = new float[Rows * Cols];
        var zeroOf = new int[Rows * Cols];
        var byTensor = new int[Rows * Cols];
        foreach (var run in ParamLayout.Runs(WeightShape, Params.Granularity))
            for (int i = 0; i < run.Length; i++) byTensor[run.Start + i] = run.Param + i * run.Step;
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++)
            {
                int pi = byTensor[TensorIndex(o, k)];
                scaleOf[o * Cols + k] = Params.Scales[pi];
                zeroOf[o * Cols + k] = Params.ZeroPoints[pi];
            }
        return new ElementGrid(Params.Format, scaleOf, zeroOf);
    }

    public override string ToString() => $"{Key} ({Node.OpType} {Rows}×{Cols}{(Groups > 1 ? $", {Groups} groups" : "")})";
}
