using LowBit.Data;

namespace LowBit.Tests.Data;

public class AugmentationTests
{
    private static float[] Ramp(int n) => Enumerable.Range(1, n).Select(i => (float)i).ToArray();

    [Fact]
    public void Apply_PadCrop_IsAShiftWithZerosWhereThePaddingShows()
    {
        int[] shape = [2, 6, 5];
        var input = Ramp(60);
        var aug = new Augmentation(padding: 2);
        var seenShifts = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 200; seed++)
        {
            var s = (float[])input.Clone();
            aug.Apply(s, shape, seed);
            // Recover (dx, dy) from the shift that explains element (c=0): every output is input(y+dy, x+dx) or 0.
            var match = Enumerable.Range(-2, 5).SelectMany(dy => Enumerable.Range(-2, 5).Select(dx => (dx, dy)))
                .Where(d => Explains(input, s, shape, d.dx, d.dy)).ToList();
            Assert.Single(match);
            seenShifts.Add(match[0]);
        }
        Assert.Equal(25, seenShifts.Count);  // all (2P+1)² offsets occur over 200 seeds
    }

    private static bool Explains(float[] input, float[] output, int[] shape, int dx, int dy)
    {
        int c = shape[0], h = shape[1], w = shape[2];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sy = y + dy, sx = x + dx;
                    float e = sy >= 0 && sy < h && sx >= 0 && sx < w ? input[(ch * h + sy) * w + sx] : 0f;
                    if (output[(ch * h + y) * w + x] != e) return false;
                }
        return true;
    }

    [Fact]
    public void Apply_FlipOnly_MirrorsRowsAboutHalfTheTime()
    {
        int[] shape = [1, 3, 4];
        var input = Ramp(12);
        var mirrored = new float[] { 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9 };
        int flips = 0;
        for (ulong seed = 0; seed < 1000; seed++)
        {
            var s = (float[])input.Clone();
            new Augmentation(horizontalFlip: true).Apply(s, shape, seed);
            if (s.SequenceEqual(mirrored)) flips++;
            else Assert.Equal(input, s);
        }
        // Binomial(1000, ½): 4.4σ band.
        Assert.InRange(flips, 430, 570);
    }

    [Fact]
    public void Apply_SameSeed_SameResult_AndIdentityOptionsChangeNothing()
    {
        int[] shape = [3, 8, 8];
        var a = Ramp(192);
        var b = Ramp(192);
        Augmentation.Standard.Apply(a, shape, 42);
        Augmentation.Standard.Apply(b, shape, 42);
        Assert.Equal(a, b);
        var c = Ramp(192);
        new Augmentation().Apply(c, shape, 42);
        Assert.Equal(Ramp(192), c);
        Assert.True(new Augmentation().IsIdentity);
    }
}
