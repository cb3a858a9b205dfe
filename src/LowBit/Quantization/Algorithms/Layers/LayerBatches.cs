using LowBit.Graph;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// Mini-batches of a layer's captured rows for gradient-based reconstruction (AdaRound, AdaQuant), every group at once.
/// Layout (G groups, R = rows per group, C = cols, B = batch rows): inputs X [G, B, C] from the quantized model's rows,
/// targets T [G, B, R] = X_f·W_gᵀ (+ b) precomputed once for all captured rows, weights as [G, C, R] (each group's
/// block transposed) so the prediction is one batched MatMul X·W̃ [G, B, R]. With G = 1 the leading axis is dropped.
/// Rows are drawn uniformly with replacement from the captured ones each iteration (sampled output positions rather than
/// whole feature maps).
/// </summary>
internal sealed class LayerBatches
{
    private readonly LayerProblem p;
    private readonly float[][] targets;
    public int Groups { get; }
    public int RowsPerGroup { get; }
    public int Cols { get; }
    public int Batch { get; }

    public LayerBatches(LayerProblem problem, int batchRows, bool withBias)
    {
        p = problem;
        var layer = problem.Layer;
        Groups = layer.Groups; RowsPerGroup = layer.RowsPerGroup; Cols = layer.Cols;
        int n = problem.Data.RowCount;
        if (n == 0) throw new InvalidOperationException($"{layer.Key}: no captured rows");
        Batch = Math.Min(batchRows, n);
        targets = new float[Groups][];
        double sum = 0;
        for (int g = 0; g < Groups; g++)
        {
            var t = targets[g] = new float[n * RowsPerGroup];
            GemmF32.Gemm(false, true, n, RowsPerGroup, Cols, 1f, problem.Data.FloatRows[g], Cols,
                problem.Weights.AsSpan(g * RowsPerGroup * Cols, RowsPerGroup * Cols), Cols, 0f, t, RowsPerGroup);
            if (withBias && problem.Bias is { } b)
                for (int r = 0; r < n; r++)
                    for (int o = 0; o < RowsPerGroup; o++) t[r * RowsPerGroup + o] += b[g * RowsPerGroup + o];
            foreach (float v in t) sum += (double)v * v;
        }
        TargetMeanSquare = Math.Max(sum / ((double)n * Groups * RowsPerGroup), 1e-30);
    }

    /// <summary>mean T² over every captured row and output channel (at least a tiny positive value).</summary>
    public double TargetMeanSquare { get; }

    /// <summary>Shape of a weight-like tensor: [G, C, R] or [C, R].</summary>
    public int[] WeightShape => Groups > 1 ? [Groups, Cols, RowsPerGroup] : [Cols, RowsPerGroup];
    /// <summary>Shape of a per-output tensor broadcast over the batch: [G, 1, R] or [R].</summary>
    public int[] BiasShape => Groups > 1 ? [Groups, 1, RowsPerGroup] : [RowsPerGroup];
    public int[] InputShape => Groups > 1 ? [Groups, Batch, Cols] : [Batch, Cols];
    public int[] TargetShape => Groups > 1 ? [Groups, Batch, RowsPerGroup] : [Batch, RowsPerGroup];

    /// <summary>A fresh mini-batch (X_q rows, targets) at the same random rows for every group.</summary>
    public (Tensor X, Tensor Target) Next(Random rng)
    {
        int n = p.Data.RowCount, b = Batch, c = Cols, r = RowsPerGroup;
        var idx = new int[b];
        for (int i = 0; i < b; i++) idx[i] = rng.Next(n);
        var x = new float[Groups * b * c];
        var t = new float[Groups * b * r];
        for (int g = 0; g < Groups; g++)
        {
            var rows = p.Data.QuantRows[g];
            for (int i = 0; i < b; i++)
            {
                Array.Copy(rows, (long)idx[i] * c, x, ((long)g * b + i) * c, c);
                Array.Copy(targets[g], (long)idx[i] * r, t, ((long)g * b + i) * r, r);
            }
        }
        return (Tensor.FromArray(x, InputShape), Tensor.FromArray(t, TargetShape));
    }

    /// <summary>Row-major [G·R, C] (the problem's layout) → [G, C, R].</summary>
    public float[] ToGroupColumns(ReadOnlySpan<float> m)
    {
        int r = RowsPerGroup, c = Cols;
        var t = new float[m.Length];
        for (int g = 0; g < Groups; g++)
            for (int o = 0; o < r; o++)
                for (int k = 0; k < c; k++) t[(g * c + k) * r + o] = m[(g * r + o) * c + k];
        return t;
    }

    /// <summary>For each position of the [G, C, R] layout, the row-major index (g·R + o)·C + k of the same element.</summary>
    public int[] RowMajorIndex()
    {
        int r = RowsPerGroup, c = Cols;
        var index = new int[Groups * r * c];
        for (int g = 0; g < Groups; g++)
            for (int o = 0; o < r; o++)
                for (int k = 0; k < c; k++) index[(g * c + k) * r + o] = (g * r + o) * c + k;
        return index;
    }

    /// <summary>[G, C, R] → row-major [G·R, C].</summary>
    public float[] FromGroupColumns(ReadOnlySpan<float> t)
    {
        int r = RowsPerGroup, c = Cols;
        var m = new float[t.Length];
        for (int g = 0; g < Groups; g++)
            for (int o = 0; o < r; o++)
                for (int k = 0; k < c; k++) m[(g * r + o) * c + k] = t[(g * c + k) * r + o];
        return m;
    }

    /// <summary>Adds to <paramref name="g"/> the inputs x, target and the reconstruction loss
    /// L_rec = mean (X·W̃ − T)² / mean T² (means over the batch's rows and all output channels; the denominator over every
    /// captured row), the paper's ‖·‖²_F made relative so that one regularization weight λ fits layers of any output
    /// scale; <paramref name="prediction"/> maps the weight-product value name to the final prediction (e.g. + bias).
    /// Returns the name of L_rec.</summary>
    public string AddReconstruction(Graph.Graph g, string weights, Func<string, string>? prediction = null)
    {
        g.Inputs.Add(new ValueInfo("x", DType.Float32, InputShape.Select(d => Dim.Known(d)).ToArray()));
        g.Inputs.Add(new ValueInfo("target", DType.Float32, TargetShape.Select(d => Dim.Known(d)).ToArray()));
        g.Initializers["inv_batch"] = Tensor.FromArray(new[] { (float)(1.0 / ((double)Batch * Groups * RowsPerGroup * TargetMeanSquare)) }, []);
        g.Add("MatMul", ["x", weights], ["y0"], "y0");
        string y = prediction?.Invoke("y0") ?? "y0";
        g.Add("Sub", [y, "target"], ["diff"], "diff");
        g.Add("Mul", ["diff", "diff"], ["sq"], "sq");
        g.Add("ReduceSum", ["sq"], ["sq_sum"], "sq_sum").With("keepdims", 0L);
        g.Add("Mul", ["sq_sum", "inv_batch"], ["rec"], "rec");
        return "rec";
    }

    /// <summary>Kernel threads for the objective: one when a step's MatMul is under ~4 M multiply-adds, where waking a
    /// second thread for each of the ~40 small ops of a step costs more than it saves (worse on a loaded machine).</summary>
    public Runtime.SessionOptions SessionOptions() =>
        new() { Threads = (long)Batch * Cols * RowsPerGroup * Groups < (4L << 20) ? 1 : Environment.ProcessorCount };

    /// <summary>An empty objective graph (opset 17: Clip/ReduceSum take their bounds/axes as inputs).</summary>
    public static Graph.Graph NewGraph(string name) => new() { Name = name, Opsets = new() { [""] = 17 } };
}
