using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class MovingAverageMinMaxTests
{
    [Fact]
    public void Compute_TwoBatches_AveragesWithMomentum()
    {
        var o = new MovingAverageMinMaxObserver(0.25);
        o.Observe([-1f, 0f, 1f]);   // first batch initializes: [−1, 1]
        o.Observe([-5f, 9f]);       // m ← m + ¼(batch − m): [−2, 3]
        var r = o.Compute();
        Assert.Equal(-2f, r.Min);
        Assert.Equal(3f, r.Max);
        Assert.Equal(5, r.Count);
    }

    [Fact]
    public void Compute_OneOutlierBatch_DampedUnlikeMinMax()
    {
        var avg = new MovingAverageMinMaxObserver();
        var exact = new MinMaxObserver();
        for (int b = 0; b < 100; b++)
        {
            float[] batch = b == 50 ? [-1f, 100f] : [-1f, 1f];
            avg.Observe(batch);
            exact.Observe(batch);
        }
        Assert.Equal(100f, exact.Compute().Max);
        // the outlier enters with weight 0.01 and decays by 0.99 per later batch: 1 + 0.99·0.99^49 ≈ 1.61
        Assert.InRange(avg.Compute().Max, 1.55f, 1.65f);
    }

    [Fact]
    public void Constructor_BadMomentum_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MovingAverageMinMaxObserver(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MovingAverageMinMaxObserver(1.5));
    }
}
