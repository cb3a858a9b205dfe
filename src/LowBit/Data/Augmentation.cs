using System.Buffers;

namespace LowBit.Data;

/// <summary>
/// Training augmentation of [C,H,W] (or [H,W]) samples, seeded per sample: random crop with zero padding (pad each
/// side by <see cref="Padding"/>, crop H×W back at an offset (dx,dy) uniform in [0,2P]², as for CIFAR/MNIST training)
/// then, when <see cref="HorizontalFlip"/>, a left–right flip with probability ½. As one map:
/// out(c,y,x) = in(c, y+dy−P, x̃+dx−P) with x̃ = W−1−x when flipped else x, and 0 where that falls outside the input.
/// The shape is unchanged. Zero padding is 0 in the sample's own scale (not black after normalization).
/// </summary>
public sealed record Augmentation
{
    public int Padding { get; }
    public bool HorizontalFlip { get; }

    public Augmentation(int padding = 0, bool horizontalFlip = false)
    {
        if (padding is < 0 or > 1024) throw new LowBitException(ErrorKind.Usage, $"augmentation padding {padding} is outside 0..1024");
        Padding = padding;
        HorizontalFlip = horizontalFlip;
    }

    /// <summary>Pad 4 + flip, the usual small-image training recipe.</summary>
    public static Augmentation Standard { get; } = new(4, true);

    public bool IsIdentity => Padding == 0 && !HorizontalFlip;

    /// <summary>Augments <paramref name="sample"/> in place. Equal seeds give equal results.</summary>
    public void Apply(Span<float> sample, ReadOnlySpan<int> shape, ulong seed)
    {
        if (shape.Length is < 2 or > 3) throw new ArgumentException($"augmentation needs [C,H,W] or [H,W] samples, got rank {shape.Length}");
        int h = shape[^2], w = shape[^1], c = shape.Length == 3 ? shape[0] : 1;
        var rng = new Rng(seed);
        int dx = Padding > 0 ? rng.NextInt(2 * Padding + 1) - Padding : 0;
        int dy = Padding > 0 ? rng.NextInt(2 * Padding + 1) - Padding : 0;
        bool flip = HorizontalFlip && (rng.NextUInt64() >> 63) != 0;
        if (dx == 0 && dy == 0 && !flip) return;
        int plane = h * w;
        var scratch = ArrayPool<float>.Shared.Rent(plane);
        try
        {
            for (int ch = 0; ch < c; ch++)
            {
                var p = sample.Slice(ch * plane, plane);
                p.CopyTo(scratch);
                for (int y = 0; y < h; y++)
                {
                    int sy = y + dy;
                    var row = p.Slice(y * w, w);
                    if ((uint)sy >= (uint)h) { row.Clear(); continue; }
                    for (int x = 0; x < w; x++)
                    {
                        int sx = (flip ? w - 1 - x : x) + dx;
                        row[x] = (uint)sx < (uint)w ? scratch[sy * w + sx] : 0f;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
