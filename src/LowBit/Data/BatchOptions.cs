namespace LowBit.Data;

/// <summary>
/// How a dataset is cut into batches. Shuffling permutes sample indices per epoch with SplitMix64 seeded by
/// (<see cref="Seed"/>, epoch); augmentation is seeded per (seed, epoch, sample index). Both are therefore the same
/// across runs, machines and thread counts. <see cref="Prefetch"/> batches are built ahead on one background task
/// (0 = build each batch when it is asked for).
/// </summary>
public sealed record BatchOptions
{
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public ulong Seed { get; }
    /// <summary>Drop the last batch when it would be smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; }
    public int Prefetch { get; }
    public Augmentation? Augmentation { get; }

    public BatchOptions(int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, int prefetch = 2, Augmentation? augmentation = null)
    {
        if (batchSize < 1) throw new LowBitException(ErrorKind.Usage, $"batch size {batchSize} must be ≥ 1");
        if (prefetch is < 0 or > 64) throw new LowBitException(ErrorKind.Usage, $"prefetch {prefetch} is outside 0..64");
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Prefetch = prefetch;
        Augmentation = augmentation is { IsIdentity: true } ? null : augmentation;
    }

    /// <summary>Batches per epoch over <paramref name="samples"/> samples.</summary>
    public int BatchCount(int samples) => DropLast ? samples / BatchSize : (samples + BatchSize - 1) / BatchSize;

    /// <summary>Samples visited per epoch (all of them unless the last partial batch is dropped).</summary>
    public int SamplesPerEpoch(int samples) => DropLast ? samples / BatchSize * BatchSize : samples;

    /// <summary>The epoch's visiting order: 0..n−1, or its seeded permutation when shuffling.</summary>
    public int[] Order(int samples, int epoch)
    {
        var order = new int[samples];
        for (int i = 0; i < samples; i++) order[i] = i;
        if (Shuffle) new Rng(Rng.Derive(Seed, epoch, 0)).Shuffle(order);
        return order;
    }

    internal ulong AugmentationSeed(int epoch, int sample) => Rng.Derive(Rng.Derive(Seed, epoch, 1), sample);
}
