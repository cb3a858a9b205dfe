namespace LowBit.Quantization;

/// <summary>How weight codes are chosen once the weight scales are fixed (DESIGN.md §3: rounding and solvers pick codes).</summary>
public enum WeightAlgorithm
{
    /// <summary>Round to nearest (no data needed).</summary>
    Nearest,
    /// <summary>AdaRound (Nagel et al. 2020): learned up/down rounding per weight, layer by layer.</summary>
    AdaRound,
    /// <summary>AdaQuant (Hubara et al. 2021): layer-wise continuous weight and bias tuning through the quantizer.</summary>
    AdaQuant,
    /// <summary>BRECQ (Li et al. 2021): AdaRound rounding reconstructed block by block.</summary>
    Brecq,
    /// <summary>GPTQ (Frantar et al. 2023): column-wise rounding with second-order error compensation.</summary>
    Gptq,
}

/// <summary>Bias correction after the weights are quantized (Nagel et al. 2019, §4.2).</summary>
public enum BiasCorrectionKind
{
    None,
    /// <summary>From the calibration data: b ← b − (W̃ − W)·E[x].</summary>
    Empirical,
    /// <summary>From the folded BatchNormalization statistics of the layer's input (no data).</summary>
    Analytic,
}

/// <summary>How GPTQ weighs the calibration tokens in its layer Hessian.</summary>
public enum TokenWeighting
{
    /// <summary>Every input vector counts the same (GPTQ).</summary>
    None,
    /// <summary>RSQ's attention concentration: each token by the attention it receives (Algorithms/Layers/TokenImportance.cs).</summary>
    Attention,
}

/// <summary>
/// Settings of the post-training algorithms that pick weight codes (Quantization/Algorithms/). Every setting left null
/// takes the algorithm's default (see docs/quantization.md for how the defaults were measured). Validated here: a bad
/// value is a usage error naming the setting.
/// </summary>
public sealed record AlgorithmConfig
{
    public static AlgorithmConfig Default { get; } = new();

    public WeightAlgorithm Algorithm { get; }
    /// <summary>Optimization steps per layer or block (AdaRound, AdaQuant, BRECQ).</summary>
    public int? Iterations { get; }
    /// <summary>Calibration samples the algorithm runs over (the rest of the calibration data only sets ranges).</summary>
    public int? Samples { get; }
    /// <summary>A layer sees its predecessors' quantized outputs (AdaRound's asymmetric reconstruction) rather than float ones.</summary>
    public bool QuantizedInputs { get; }
    /// <summary>GPTQ: process columns by descending Hessian diagonal.</summary>
    public bool ActOrder { get; }
    /// <summary>GPTQ: dampening added to the Hessian diagonal, as a fraction of its mean.</summary>
    public double Dampening { get; }
    public BiasCorrectionKind BiasCorrection { get; }
    /// <summary>Seed of every random choice (sampled positions, mini-batches).</summary>
    public int Seed { get; }
    /// <summary>BRECQ: merge neighbouring blocks while the normalized entropy of the first one's output is at least this
    /// (Q-VLM's entropy-guided partition, in [0, 1]); null keeps the single-entry single-exit blocks.</summary>
    public double? BlockEntropy { get; }
    /// <summary>BRECQ: the most layers a merged block may hold.</summary>
    public int MaxBlockLayers { get; }
    /// <summary>Adam step size (AdaRound: on V; AdaQuant: on the weights in grid steps and on the bias).</summary>
    public double? LearningRate { get; }
    /// <summary>Captured rows per mini-batch (AdaRound, AdaQuant).</summary>
    public int? BatchRows { get; }
    /// <summary>AdaRound: weight λ of the rounding regularizer.</summary>
    public double? Regularization { get; }
    /// <summary>GPTQ: token weighting of the layer Hessian (RSQ).</summary>
    public TokenWeighting TokenWeighting { get; }

    public AlgorithmConfig(WeightAlgorithm algorithm = WeightAlgorithm.Nearest, int? iterations = null, int? samples = null,
        bool quantizedInputs = true, bool actOrder = false, double dampening = 0.01, BiasCorrectionKind biasCorrection = BiasCorrectionKind.None,
        int seed = 0, double? learningRate = null, int? batchRows = null, double? regularization = null, double? blockEntropy = null, int maxBlockLayers = 8,
        TokenWeighting tokenWeighting = TokenWeighting.None)
    {
        if (iterations is < 1) throw QuantizerConfig.Usage($"algorithm iterations must be ≥ 1, got {iterations}");
        if (samples is < 1) throw QuantizerConfig.Usage($"algorithm samples must be ≥ 1, got {samples}");
        if (!(dampening > 0 && dampening < 1)) throw QuantizerConfig.Usage($"GPTQ dampening must be in (0, 1), got {dampening}");
        if (actOrder && algorithm != WeightAlgorithm.Gptq) throw QuantizerConfig.Usage("act-order is a GPTQ setting; add --algorithm gptq");
        if (blockEntropy is double be && !(be >= 0 && be <= 1)) throw QuantizerConfig.Usage($"block entropy threshold must be in [0, 1], got {be}");
        if (blockEntropy is not null && algorithm != WeightAlgorithm.Brecq) throw QuantizerConfig.Usage("the entropy-guided block partition is a BRECQ setting; add --algorithm brecq");
        if (tokenWeighting != TokenWeighting.None && algorithm != WeightAlgorithm.Gptq)
            throw QuantizerConfig.Usage("token importance weights GPTQ's Hessian (RSQ); add --algorithm gptq");
        if (maxBlockLayers < 1) throw QuantizerConfig.Usage($"the largest block must hold at least 1 layer, got {maxBlockLayers}");
        if (algorithm == WeightAlgorithm.Brecq && biasCorrection != BiasCorrectionKind.None)
            throw QuantizerConfig.Usage("BRECQ reconstructs whole blocks from their quantized inputs; bias correction does not combine with it");
        Algorithm = algorithm;
        Iterations = iterations;
        Samples = samples;
        QuantizedInputs = quantizedInputs;
        ActOrder = actOrder;
        Dampening = dampening;
        BiasCorrection = biasCorrection;
        Seed = seed;
        if (learningRate is { } lr && !(lr > 0 && double.IsFinite(lr))) throw QuantizerConfig.Usage($"algorithm learning rate must be finite and > 0, got {lr}");
        if (batchRows is < 1) throw QuantizerConfig.Usage($"algorithm batch rows must be ≥ 1, got {batchRows}");
        if (regularization is { } l && !(l >= 0 && double.IsFinite(l))) throw QuantizerConfig.Usage($"AdaRound regularization must be finite and ≥ 0, got {l}");
        LearningRate = learningRate;
        BatchRows = batchRows;
        Regularization = regularization;
        BlockEntropy = blockEntropy;
        MaxBlockLayers = maxBlockLayers;
        TokenWeighting = tokenWeighting;
    }

    /// <summary>Whether anything beyond round to nearest runs (then calibration data is needed, except for analytic bias correction).</summary>
    public bool NeedsData => Algorithm != WeightAlgorithm.Nearest || BiasCorrection == BiasCorrectionKind.Empirical;

    public bool IsNearest => Algorithm == WeightAlgorithm.Nearest && BiasCorrection == BiasCorrectionKind.None;

    public override string ToString() => ConfigNames.Name(Algorithm) + (TokenWeighting == TokenWeighting.Attention ? " (attention token importance)" : "") + (BiasCorrection == BiasCorrectionKind.None ? "" : " + bias correction (" + ConfigNames.Name(BiasCorrection) + ")");
}
