namespace LowBit.Data;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit counter stepped by the golden-ratio constant and finalized by a
/// bijective mixer. Chosen over <see cref="Random"/> because its sequence is fixed by this file, not by the runtime
/// version, so shuffles and crops are reproducible across .NET releases and machines.
/// </summary>
internal struct Rng(ulong seed)
{
    private ulong state = seed;

    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>Uniform in [0, n) without modulo bias (Lemire 2019: multiply-high, reject the short low range).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong range = (ulong)n;
        while (true)
        {
            ulong x = NextUInt64();
            ulong hi = Math.BigMul(x, range, out ulong lo);
            if (lo >= (0UL - range) % range) return (int)hi;
        }
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every value exactly representable in float32).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>The SplitMix64 finalizer: a bijection on 64-bit values with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>An independent stream seed for (seed, a, b): e.g. (seed, epoch, sample) so that per-sample randomness
    /// does not depend on the order or thread in which samples are produced.</summary>
    public static ulong Derive(ulong seed, long a, long b = 0) =>
        Mix(Mix(Mix(seed) ^ (ulong)a) + 0x9E3779B97F4A7C15UL * (ulong)(b + 1));

    /// <summary>In-place Fisher–Yates shuffle: every permutation equally likely.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
