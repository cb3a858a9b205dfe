namespace LowBit.Reports;

/// <summary>A histogram of reference (float) values: <see cref="Counts"/>[i] values in [Lo + i·Width, Lo + (i+1)·Width).</summary>
public sealed record HistogramData(double Lo, double Width, long[] Counts)
{
    public double Hi => Lo + Width * Counts.Length;
}

/// <summary>
/// One matched tensor of <see cref="LayerComparison"/>: the quantized model's value against the float model's.
/// <see cref="Kind"/>: "activation" (the DequantizeLinear output of a QuantizeLinear→DequantizeLinear pair),
/// "weight", "bias", "constant" (a DequantizeLinear of stored codes), or "float" (a value the quantized model computes
/// in float, compared by name: error carried in from upstream). <see cref="Node"/>/<see cref="OpType"/>: the node that
/// produces the tensor (for weights: the node that reads it); null node for graph inputs.
/// <see cref="SqnrDb"/>/<see cref="Cosine"/>/<see cref="MaxAbsError"/> are over all compared samples (±∞ rules of
/// <see cref="Metrics.ErrorStats.SqnrDb"/>). <see cref="SqnrBeforeQuantizationDb"/> (activations): the SQNR of the
/// value entering the QuantizeLinear, i.e. the error from upstream alone; the drop to <see cref="SqnrDb"/> is this
/// tensor's own rounding and clipping. <see cref="FloatMin"/>/<see cref="FloatMax"/>: the range the float model produced
/// on the compared samples; <see cref="Histogram"/>: its distribution (activations only, when requested).
/// </summary>
public sealed record LayerError(string Tensor, string Kind, string? Node, string? OpType, QuantFormat? Format,
    double SqnrDb, double Cosine, double MaxAbsError, double? SqnrBeforeQuantizationDb,
    double FloatMin, double FloatMax, long Elements, HistogramData? Histogram);

/// <summary>
/// Error attribution for one quantized node: the model outputs' SQNR/cosine against the float model when only the Q/DQ
/// outputs this node reads (<see cref="Tensors"/>: its input activations, weights, bias) stay quantized and every
/// other one is bypassed with its float value. <see cref="NoiseShare"/>: this node's fraction of the summed output noise
/// power, 10^(−SQNRᵢ/10) / Σⱼ 10^(−SQNRⱼ/10) (quantization noises from different layers add roughly independently).
/// </summary>
public sealed record LayerAttribution(string Node, string OpType, IReadOnlyList<string> Tensors, double OutputSqnrDb,
    double OutputCosine, double NoiseShare);

/// <summary>
/// The result of <see cref="LayerComparison.Run"/>. <see cref="Layers"/> are sorted worst first (lowest SQNR, NaN
/// first). <see cref="OutputSqnrDb"/>: the model outputs' SQNR (all outputs pooled) with every Q/DQ active, over all
/// <see cref="Samples"/> (the same figure as the output's row in <see cref="Layers"/>; null when the models share no
/// output). <see cref="Attribution"/> (null unless requested) is sorted worst first and measured on the first
/// <see cref="AttributionSamples"/> samples only; <see cref="AttributionOutputSqnrDb"/> is the all-quantized output SQNR
/// on those same samples, the figure its rows compare with. <see cref="KeepInHigherPrecision"/>: the fewest
/// nodes, largest <see cref="LayerAttribution.NoiseShare"/> first, whose shares add up to at least half of the output
/// noise (at most <see cref="LayerComparisonOptions.MaxSuggestions"/>): the candidates to exclude from quantization.
/// <see cref="Unmatched"/>: quantized tensors with no float counterpart (and why).
/// </summary>
public sealed record LayerComparisonResult(long Samples, IReadOnlyList<LayerError> Layers, IReadOnlyList<LayerAttribution>? Attribution,
    double? OutputSqnrDb, IReadOnlyList<string> KeepInHigherPrecision, IReadOnlyList<string> Unmatched, IReadOnlyList<string> Warnings)
{
    /// <summary>Samples the attribution ran on (the first ones); null without attribution.</summary>
    public long? AttributionSamples { get; init; }
    /// <summary>Output SQNR with every Q/DQ active on the <see cref="AttributionSamples"/>; null without attribution.</summary>
    public double? AttributionOutputSqnrDb { get; init; }

    /// <summary>The <paramref name="count"/> worst quantized activations (for histogram plots).</summary>
    public IEnumerable<LayerError> WorstActivations(int count) => Layers.Where(l => l.Kind == "activation").Take(count);
}

/// <summary>How <see cref="LayerComparison.Run"/> runs.</summary>
public sealed record LayerComparisonOptions
{
    /// <summary>Prepare the float model as the quantizer does (copy, remove identities, fold constants and
    /// BatchNormalization) before comparing, so value names and folded weights line up with the quantized graph.
    /// Turn off when the reference is already the prepared graph.</summary>
    public bool PrepareReference { get; init; } = true;
    /// <summary>Histogram bins kept per quantized activation (0: none). Even, ≥ 2.</summary>
    public int HistogramBins { get; init; } = 256;
    /// <summary>Run error attribution (one extra pass per quantized node over <see cref="AttributionBatches"/>).</summary>
    public bool Attribution { get; init; }
    /// <summary>Batches (the first ones) used for attribution; they are held in memory.</summary>
    public int AttributionBatches { get; init; } = 4;
    public int MaxSuggestions { get; init; } = 5;
    /// <summary>Threads of both sessions (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Checked after every value any session of the comparison produces, so a cancel lands within one node's
    /// run, not one batch's (a batch of a large model runs for seconds).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>A session hook that only checks <see cref="Cancellation"/>.</summary>
    internal Runtime.ValueHook CancellationHook => (_, _, _) =>
    {
        Cancellation.ThrowIfCancellationRequested();
        return null;
    };
}
