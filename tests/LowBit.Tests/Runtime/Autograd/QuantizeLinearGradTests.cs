using ModelGraph = LowBit.Graph.Graph;
using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>
/// Fake quantization (QuantizeLinear → DequantizeLinear) in a training session: the straight-through estimator passes
/// dY to x inside the representable range and blocks it outside; the scale receives LSQ's gradient
/// Σ dY·(round(x/s) − x/s) inside and Σ dY·(qmin|qmax − z) outside. Compared with those formulas in double
/// (float32 rounding only: 1e-5 relative).
/// </summary>
public class QuantizeLinearGradTests
{
    [Fact]
    public void FakeQuant_PerTensor_StraightThroughAndLsqScale()
    {
        float s = 0.1f;
        sbyte z = 2;
        // round(x/s) + z spans both sides of [−128, 127]: −13.2 (−130) and 12.6 (128) are clipped.
        float[] x = [-13.2f, -12.7f, -0.34f, 0.05f, 1.26f, 12.4f, 12.6f, 3.33f];
        var g = new ModelGraph();
        g.Opsets[""] = 21;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, x.Length));
        g.Initializers["s"] = Tensor.FromArray(new[] { s }, 1);
        g.Initializers["z"] = Tensor.FromArray(new[] { z }, 1);
        g.Add("QuantizeLinear", ["x", "s", "z"], ["q"]);
        g.Add("DequantizeLinear", ["q", "s", "z"], ["y"]);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        var session = new TrainingSession(g);
        session.Forward(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(x, x.Length) });
        var dy = Enumerable.Range(0, x.Length).Select(i => 1f + i).ToArray();
        var grads = session.Backward(new Dictionary<string, Tensor> { ["y"] = Tensor.FromArray(dy, x.Length) }, ["x", "s"]);
        var dx = grads["x"].ToFloatArray();
        double ds = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double v = Math.Round(x[i] / (double)s, MidpointRounding.ToEven) + z;
            bool inside = v >= -128 && v <= 127;
            Assert.Equal(inside ? dy[i] : 0f, dx[i], 5);
            ds += dy[i] * (inside ? v - z - x[i] / (double)s : Math.Clamp(v, -128, 127) - z);
        }
        Assert.Equal(ds, grads["s"].GetDouble(0), 1e-5 * Math.Max(1, Math.Abs(ds)));
        Assert.Equal(0f, dx[0]);
    }
}
