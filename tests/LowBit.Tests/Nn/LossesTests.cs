using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Tests.Nn;

public class LossesTests
{
    private static Tensor Randn(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray(), shape);
    }

    /// <summary>Central differences with h = 2⁻⁸ (exact in float32). Truncation error O(h²) ≈ 1.5e-5 for these smooth losses;
    /// float32 rounding of the loss (~1e-7 relative) contributes ≈ 1e-7/h ≈ 3e-5; so 2e-4 absolute is a safe bound.</summary>
    private static void AssertMatchesFiniteDifferences(Tensor x, Func<Tensor, LossResult> loss)
    {
        const float h = 1f / 256;
        var analytic = loss(x).Gradient.ToFloatArray();
        var s = x.AsSpan<float>();
        for (int i = 0; i < x.Length; i++)
        {
            float saved = s[i];
            s[i] = saved + h;
            double up = loss(x).Value;
            s[i] = saved - h;
            double down = loss(x).Value;
            s[i] = saved;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-4, $"element {i}: analytic {analytic[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void CrossEntropy_HandComputed()
    {
        // ℓ = log(e¹ + e² + e³) − 3 = 0.4076059644; ∂ℓ/∂z = softmax(z) − onehot = [0.0900306, 0.2447285, −0.3347591].
        var r = Losses.CrossEntropy(Tensor.FromArray(new[] { 1f, 2f, 3f }, 1, 3), Tensor.FromArray(new[] { 2L }, 1));
        Assert.Equal(0.4076059644, r.Value, 6);
        Assert.Equal(new[] { 0.0900306, 0.2447285, -0.3347591 }, r.Gradient.ToFloatArray().Select(v => Math.Round((double)v, 7)));
    }

    [Fact]
    public void CrossEntropy_LabelSmoothing_HandComputed()
    {
        // ε = 0.1, C = 3: ℓ = lse − 0.9·z_y − (0.1/3)·Σz = 3.4076059644 − 2.7 − 0.2 = 0.5076059644.
        var r = Losses.CrossEntropy(Tensor.FromArray(new[] { 1f, 2f, 3f }, 1, 3), Tensor.FromArray(new[] { 2L }, 1), labelSmoothing: 0.1);
        Assert.Equal(0.5076059644, r.Value, 6);
        Assert.Equal(0.0900306 - 0.1 / 3, r.Gradient.ToFloatArray()[0], 6);
        Assert.Equal(0.0, r.Gradient.ToFloatArray().Sum(), 6);
    }

    [Fact]
    public void CrossEntropy_SequenceLogits_MatchFiniteDifferences()
    {
        var logits = Randn(1, 2, 3, 5);
        var targets = Tensor.FromArray(new long[] { 0, 4, 2, 1, 3, 3 }, 2, 3);
        AssertMatchesFiniteDifferences(logits, z => Losses.CrossEntropy(z, targets, labelSmoothing: 0.2));
    }

    [Fact]
    public void CrossEntropy_IgnoreIndex_MeanOverKeptRowsAndZeroGradient()
    {
        var logits = Randn(2, 3, 4);
        var all = Losses.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 2, 3 }, 3));
        var kept = Losses.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, -100, 3 }, 3), ignoreIndex: -100);
        var row1 = Losses.CrossEntropy(Tensor.FromArray(logits.ToFloatArray()[4..8], 1, 4), Tensor.FromArray(new long[] { 2 }, 1));
        Assert.Equal((all.Value * 3 - row1.Value) / 2, kept.Value, 5);
        Assert.All(kept.Gradient.ToFloatArray()[4..8], g => Assert.Equal(0f, g));
    }

    [Fact]
    public void CrossEntropy_HugeLogits_StayFinite()
    {
        var r = Losses.CrossEntropy(Tensor.FromArray(new[] { 1e30f, -1e30f, 0f }, 1, 3), Tensor.FromArray(new[] { 1L }, 1));
        Assert.Equal(2e30, r.Value, 1e24);
        Assert.Equal([1f, -1f, 0f], r.Gradient.ToFloatArray());
    }

    [Fact]
    public void CrossEntropy_TargetOutOfRange_Throws()
    {
        var e = Assert.Throws<LowBitException>(() => Losses.CrossEntropy(Tensor.Zeros(DType.Float32, 2, 3), Tensor.FromArray(new long[] { 0, 3 }, 2)));
        Assert.Contains("target 3", e.Message);
        Assert.Throws<LowBitException>(() => Losses.CrossEntropy(Tensor.Zeros(DType.Float32, 2, 3), Tensor.FromArray(new long[] { 0 }, 1)));
    }

    [Fact]
    public void Mse_HandComputedAndFiniteDifferences()
    {
        var r = Losses.Mse(Tensor.FromArray(new[] { 1f, 2f }, 2), Tensor.FromArray(new[] { 0f, 4f }, 2));
        Assert.Equal(2.5, r.Value, 10);                  // (1 + 4) / 2
        Assert.Equal([1f, -2f], r.Gradient.ToFloatArray()); // 2(p − t)/n
        var target = Randn(4, 2, 3);
        AssertMatchesFiniteDifferences(Randn(3, 2, 3), p => Losses.Mse(p, target));
    }

    [Fact]
    public void Distillation_HandComputed()
    {
        // τ = 2, s = [0, 0], t = [2 ln 3, 0]: p_t = softmax([ln 3, 0]) = [3/4, 1/4], p_s = [1/2, 1/2];
        // KL = ¾ ln(3/2) + ¼ ln(1/2) = 0.1308120; ℓ = τ²·KL = 0.5232481; ∂ℓ/∂s = τ(p_s − p_t) = [−0.5, 0.5].
        var r = Losses.Distillation(Tensor.FromArray(new[] { 0f, 0f }, 1, 2), Tensor.FromArray(new[] { 2 * MathF.Log(3), 0f }, 1, 2), temperature: 2);
        Assert.Equal(4 * (0.75 * Math.Log(1.5) + 0.25 * Math.Log(0.5)), r.Value, 6);
        Assert.Equal(-0.5, r.Gradient.ToFloatArray()[0], 6);
        Assert.Equal(0.5, r.Gradient.ToFloatArray()[1], 6);
    }

    [Fact]
    public void Distillation_EqualLogits_ZeroLossAndGradient()
    {
        var z = Randn(5, 3, 7);
        var r = Losses.Distillation(z, z.Clone(), temperature: 3);
        Assert.Equal(0, r.Value, 6);
        Assert.All(r.Gradient.ToFloatArray(), g => Assert.Equal(0.0, g, 6));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void Distillation_MatchesFiniteDifferences(double temperature)
    {
        var teacher = Randn(6, 2, 2, 5);
        AssertMatchesFiniteDifferences(Randn(7, 2, 2, 5), s => Losses.Distillation(s, teacher, temperature));
    }
}
