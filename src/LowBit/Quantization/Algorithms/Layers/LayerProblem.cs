namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>What a layer-wise algorithm needs captured for its layer (the Hessian and the means cost a pass over up to
/// 4096 positions per sample, so they are captured only when asked).</summary>
/// <see cref="ImportanceOf"/>: the attention probabilities whose <see cref="TokenImportance"/> weighs the Hessian's
/// vectors (RSQ); null for the plain Hessian. <see cref="Diagonal"/>: only diag H (a column sum of squares, no [Cols, Cols]
/// accumulator), e.g. for a Hessian-weighted codebook.
internal readonly record struct LayerNeeds(bool Rows, bool Hessian, bool Means = false, string? ImportanceOf = null, bool Diagonal = false);

/// <summary>
/// One layer's data, per group g (Conv groups; 1 otherwise), from the kept calibration samples:
/// <see cref="FloatRows"/>[g] / <see cref="QuantRows"/>[g]: [RowCount, Cols] input vectors at the same sampled output
/// positions in the float model and in the quantized model (predecessors quantized; equal to the float rows when the
/// config asks for float inputs). <see cref="Hessian"/>[g]: [Cols, Cols] H = (1/N)·Σ x·xᵀ over N quantized-model input
/// vectors (every position, or an evenly strided subset of large maps). Means are over the same positions.
/// </summary>
internal sealed class LayerData
{
    public required int RowCount { get; init; }
    public required float[][] FloatRows { get; init; }
    public required float[][] QuantRows { get; init; }
    public double[][]? Hessian { get; init; }
    /// <summary>diag H per group ([Cols]), when <see cref="LayerNeeds.Hessian"/> or <see cref="LayerNeeds.Diagonal"/> was asked.</summary>
    public double[][]? HessianDiagonal { get; init; }
    /// <summary>Null unless <see cref="LayerNeeds.Means"/> was asked.</summary>
    public double[][]? FloatMean { get; init; }
    public double[][]? QuantMean { get; init; }
    public long HessianVectors { get; init; }
    /// <summary>Whether the Hessian is token-importance weighted (H = (1/N)·Σ r_t²·x_t·x_tᵀ, <see cref="TokenImportance"/>).</summary>
    public bool TokenWeighted { get; init; }
}

/// <summary>
/// A layer to solve: find grid values W̃ (each element on its <see cref="Grid"/>, <see cref="ElementGrid.Neighbours"/>
/// or any grid value) minimizing ‖X_q·W̃ᵀ − X_f·Wᵀ‖² over the layer's inputs. <see cref="Weights"/> and the result are
/// [Rows, Cols] row-major (<see cref="LinearLayer"/>); row o belongs to group o / RowsPerGroup and multiplies that group's
/// rows of <see cref="Data"/>. <see cref="Bias"/> (length Rows) is the current bias when the layer has one.
/// </summary>
internal sealed record LayerProblem(LinearLayer Layer, ElementGrid Grid, float[] Weights, float[]? Bias, LayerData Data,
    AlgorithmConfig Config, Random Random, Action<string> Report);

/// <summary>The chosen grid values (every element must equal a grid value of its element), a new bias when the algorithm
/// tunes it, and a one-line summary for progress and the manifest (e.g. iterations and loss).</summary>
internal sealed record LayerSolution(float[] Weights, float[]? Bias, string Summary);

/// <summary>A layer-wise weight algorithm (AdaRound, AdaQuant, GPTQ): see DESIGN.md §3.</summary>
internal interface ILayerAlgorithm
{
    LayerNeeds Needs { get; }
    LayerSolution Solve(LayerProblem problem, CancellationToken ct);
}
