using LowBit.Nn.Optim;
using static LowBit.Tests.Nn.Optim.OptimTestGraphs;

namespace LowBit.Tests.Nn.Optim;

/// <summary>AdamW against torch.optim.AdamW's update written out by hand (double reference; float32 tolerance 1e-6).</summary>
public class AdamWTests
{
    [Fact]
    public void Step_FirstStep_MovesByLearningRateTimesSign()
    {
        // t = 1: m̂ = g, v̂ = g², so p ← p(1 − ηλ) − η·g/(|g| + ε).
        var g = Params([1f, -1f], [0.3f]);
        var opt = new AdamW(g, new AdamWOptions(0.1, weightDecay: 0.01), ["w", "b"], noWeightDecay: n => n == "b");
        opt.Step(Grads([0.5f, -3f], [2f]));
        var w = g.Initializers["w"].ToFloatArray();
        Assert.Equal(0.999 - 0.1, w[0], 1e-6);
        Assert.Equal(-0.999 + 0.1, w[1], 1e-6);
        Assert.Equal(0.3 - 0.1, g.Initializers["b"].ToFloatArray()[0], 1e-6);
    }

    [Fact]
    public void Step_ThreeSteps_MatchPyTorchFormulas()
    {
        const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-6, wd = 0.1;
        var g = Params([1f, -2f], [0.5f]);
        var opt = new AdamW(g, new AdamWOptions(lr, b1, b2, eps, wd), ["w"]);
        double[] p = [1, -2], m = [0, 0], v = [0, 0];
        double[][] grads = [[0.5, 1], [-0.25, 0.1], [1e-3, -2]];
        for (int t = 1; t <= grads.Length; t++)
        {
            opt.Step(Grads(grads[t - 1].Select(x => (float)x).ToArray(), [9f]));
            for (int i = 0; i < 2; i++)
            {
                double gi = grads[t - 1][i];
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                p[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
            }
        }
        var w = g.Initializers["w"].ToFloatArray();
        Assert.Equal(p[0], w[0], 1e-6);
        Assert.Equal(p[1], w[1], 1e-6);
        // torch.optim.AdamW (PyTorch 1.13) on the same inputs gives [0.98333174, −2.0071075].
        Assert.Equal(0.98333174, w[0], 1e-6);
        Assert.Equal(-2.0071075, w[1], 1e-6);
        Assert.Equal(0.5f, g.Initializers["b"].ToFloatArray()[0]); // not a parameter of this optimizer
        var state = opt.GetState();
        Assert.Equal(3L, state["step"].GetInt64(0));
        Assert.Equal(m[1], state["exp_avg/w"].GetDouble(1), 1e-6);
        Assert.Equal(v[1], state["exp_avg_sq/w"].GetDouble(1), 1e-6);
    }

    /// <summary>37 elements: the vectorized part (4 × 8) and the scalar tail (5) must both follow the formula, and
    /// give exactly what the scalar float32 loop gives (same operations, same order, no FMA).</summary>
    [Fact]
    public void Step_VectorAndTail_MatchScalarFloatLoopExactly()
    {
        const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.05f;
        var rng = new Random(5);
        var w0 = Enumerable.Range(0, 37).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var g = Params(w0, [0f]);
        var opt = new AdamW(g, new AdamWOptions(lr, b1, b2, eps, wd), ["w"]);
        var p = (float[])w0.Clone();
        var m = new float[37];
        var v = new float[37];
        for (int t = 1; t <= 3; t++)
        {
            var grad = Enumerable.Range(0, 37).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            opt.Step(Grads(grad, [0f]));
            float decay = (float)(1 - (double)lr * wd), step = (float)(lr / (1 - Math.Pow(b1, t)));
            float inv = (float)(1 / Math.Sqrt(1 - Math.Pow(b2, t)));
            for (int i = 0; i < 37; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * grad[i];
                v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
                p[i] = p[i] * decay - step * m[i] / (MathF.Sqrt(v[i]) * inv + eps);
            }
        }
        Assert.Equal(p, g.Initializers["w"].ToFloatArray());
    }

    [Fact]
    public void State_RoundTrip_ContinuesIdentically()
    {
        var g1 = Params([1f, -2f], [0.5f]);
        var o1 = new AdamW(g1, new AdamWOptions(0.05), ["w", "b"]);
        o1.Step(Grads([0.5f, 1f], [1f]));
        var g2 = Params(g1.Initializers["w"].ToFloatArray(), g1.Initializers["b"].ToFloatArray());
        var o2 = new AdamW(g2, new AdamWOptions(0.05), ["w", "b"]);
        o2.SetState(o1.GetState());
        o1.Step(Grads([0.3f, -1f], [2f]));
        o2.Step(Grads([0.3f, -1f], [2f]));
        Assert.Equal(g1.Initializers["w"].ToFloatArray(), g2.Initializers["w"].ToFloatArray());
        Assert.Equal(g1.Initializers["b"].ToFloatArray(), g2.Initializers["b"].ToFloatArray());
    }

    [Fact]
    public void Step_ConvexQuadraticWithCosineDecay_ConvergesToMinimum()
    {
        var g = Params([0f, 0f, 0f, 0f], [0f]);
        var opt = new AdamW(g, new AdamWOptions(0.1, weightDecay: 0), ["w"]);
        var schedule = new CosineSchedule(0.1, totalSteps: 1500, warmupSteps: 10);
        for (int t = 0; t < 1500; t++)
        {
            opt.LearningRate = schedule.At(opt.Steps);
            opt.Step(QuadraticGrad(g));
        }
        var w = g.Initializers["w"].ToFloatArray();
        for (int i = 0; i < 4; i++) Assert.Equal(C[i], w[i], 1e-3f);
    }
}
