using LowBit.Nn;
using LowBit.Nn.Optim;
using LowBit.Nn.Zoo;
using LowBit.Tensors;
using static LowBit.Tests.Nn.Optim.OptimTestGraphs;

namespace LowBit.Tests.Nn.Optim;

/// <summary>SGD against torch.optim.SGD's update written out by hand. Tolerance 1e-6: float32 arithmetic on O(1) values.</summary>
public class SgdTests
{
    private static readonly string[] WB = ["w", "b"];

    [Fact]
    public void Step_MomentumAndL2_MatchesPyTorchFormulas()
    {
        var g = Params([1f, -2f], [0.5f]);
        var opt = new Sgd(g, new SgdOptions(0.1, momentum: 0.9, weightDecay: 0.01), WB);
        opt.Step(Grads([0.5f, 1f], [1f]));
        // d = g + 0.01·p = [0.51, 0.98]; b = d; p = p − 0.1·d
        Assert.Equal(0.949f, g.Initializers["w"].ToFloatArray()[0], 1e-6f);
        Assert.Equal(-2.098f, g.Initializers["w"].ToFloatArray()[1], 1e-6f);
        opt.Step(Grads([0.2f, -0.4f], [0f]));
        // d = [0.2 + 0.00949, −0.4 − 0.02098]; b = 0.9·[0.51, 0.98] + d = [0.66849, 0.46102]; p −= 0.1·b
        Assert.Equal(0.882151f, g.Initializers["w"].ToFloatArray()[0], 1e-6f);
        Assert.Equal(-2.144102f, g.Initializers["w"].ToFloatArray()[1], 1e-6f);
        Assert.Equal(2, opt.Steps);
    }

    [Fact]
    public void Step_NesterovAndDampening_MatchReference()
    {
        foreach (var (nesterov, dampening) in new[] { (true, 0.0), (false, 0.3) })
        {
            var g = Params([1f, -2f], [0.5f]);
            var opt = new Sgd(g, new SgdOptions(0.05, momentum: 0.8, dampening: dampening, nesterov: nesterov), WB);
            double[] p = [1, -2], buf = [0, 0];
            double[][] grads = [[0.5, 1], [0.2, -0.4], [-1, 0.3]];
            for (int t = 0; t < grads.Length; t++)
            {
                opt.Step(Grads(grads[t].Select(v => (float)v).ToArray(), [0f]));
                for (int i = 0; i < 2; i++)
                {
                    double d = grads[t][i];
                    buf[i] = t == 0 ? d : 0.8 * buf[i] + (1 - dampening) * d;
                    p[i] -= 0.05 * (nesterov ? d + 0.8 * buf[i] : buf[i]);
                }
            }
            var w = g.Initializers["w"].ToFloatArray();
            Assert.Equal(p[0], w[0], 1e-6);
            Assert.Equal(p[1], w[1], 1e-6);
            // torch.optim.SGD (PyTorch 1.13) on the same inputs.
            Assert.Equal(nesterov ? 0.99180001 : 0.96140003, w[0], 1e-6);
            Assert.Equal(nesterov ? -2.1257999 : -2.1073000, w[1], 1e-6);
        }
    }

    [Fact]
    public void Step_DecoupledWeightDecay_ShrinksThenSteps()
    {
        var g = Params([2f], [2f]);
        var opt = new Sgd(g, new SgdOptions(0.1, weightDecay: 0.5, decoupledWeightDecay: true), WB, noWeightDecay: n => n == "b");
        opt.Step(Grads([1f], [1f]));
        Assert.Equal(2f * (1 - 0.05f) - 0.1f, g.Initializers["w"].ToFloatArray()[0], 1e-6f); // p(1 − ηλ) − ηg
        Assert.Equal(1.9f, g.Initializers["b"].ToFloatArray()[0], 1e-6f);                  // exempt: p − ηg
    }

    [Fact]
    public void Constructor_SkipsRunningStatisticsAndNonFloat()
    {
        var model = ModelZoo.Build("resnet8");
        var opt = new Sgd(model, new SgdOptions(0.1), model.Initializers.Keys);
        Assert.DoesNotContain("stem.bn.running_mean", opt.ParameterNames);
        Assert.Equal(Parameters.Trainable(model), opt.ParameterNames);
        var g = Params([1f], [1f]);
        Assert.Equal(WB, new Sgd(g, new SgdOptions(0.1), ["w", "b", "shape"]).ParameterNames);
        Assert.Throws<LowBitException>(() => new Sgd(g, new SgdOptions(0.1), ["nope"]));
    }

    [Fact]
    public void Step_WrongGradientShape_ThrowsWithoutUpdating()
    {
        var g = Params([1f, 2f], [1f]);
        var opt = new Sgd(g, new SgdOptions(0.1), WB);
        var grads = Grads([1f, 1f], [1f]);
        grads["b"] = Tensor.Zeros(DType.Float32, 2);
        Assert.Throws<LowBitException>(() => opt.Step(grads));
        Assert.Equal([1f, 2f], g.Initializers["w"].ToFloatArray());
        Assert.Equal(0, opt.Steps);
    }

    [Fact]
    public void State_RoundTrip_ContinuesIdentically()
    {
        var g1 = Params([1f, -2f], [0.5f]);
        var o1 = new Sgd(g1, new SgdOptions(0.1, momentum: 0.9), WB);
        o1.Step(Grads([0.5f, 1f], [1f]));
        o1.Step(Grads([0.1f, 1f], [-1f]));
        var state = o1.GetState();
        Assert.Equal(["step", "momentum_buffer/w", "momentum_buffer/b"], state.Keys);
        var g2 = Params(g1.Initializers["w"].ToFloatArray(), g1.Initializers["b"].ToFloatArray());
        var o2 = new Sgd(g2, new SgdOptions(0.1, momentum: 0.9), WB);
        o2.SetState(state);
        o1.Step(Grads([0.3f, -1f], [2f]));
        o2.Step(Grads([0.3f, -1f], [2f]));
        Assert.Equal(g1.Initializers["w"].ToFloatArray(), g2.Initializers["w"].ToFloatArray());
        Assert.Equal(g1.Initializers["b"].ToFloatArray(), g2.Initializers["b"].ToFloatArray());
        Assert.Equal(3, o2.Steps);
        Assert.Throws<LowBitException>(() => o2.SetState(new Dictionary<string, Tensor> { ["step"] = Tensor.FromArray(new[] { 1L }, []), ["velocity/w"] = Tensor.Zeros(DType.Float32, 2) }));
    }

    [Fact]
    public void Step_ConvexQuadratic_ConvergesToMinimum()
    {
        var g = Params([0f, 0f, 0f, 0f], [0f]);
        // Heavy ball on a quadratic with curvatures in [0.25, 9] converges for η < 2(1 + μ)/9 ≈ 0.42.
        var opt = new Sgd(g, new SgdOptions(0.05, momentum: 0.9, nesterov: true), ["w"]);
        for (int t = 0; t < 600; t++) opt.Step(QuadraticGrad(g));
        var w = g.Initializers["w"].ToFloatArray();
        for (int i = 0; i < 4; i++) Assert.Equal(C[i], w[i], 1e-4f);
    }
}
