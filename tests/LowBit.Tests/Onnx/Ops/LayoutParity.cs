using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Helpers for the layout/control-flow/recurrent op tests on top of <see cref="OrtParity"/>.</summary>
public static class LayoutParity
{
    /// <summary>Runs a one-node graph in LowBit and ONNX Runtime; integer/bool/string outputs must be identical, float
    /// outputs within max|diff| ≤ <paramref name="tol"/>·max|expected| (0 = bit-identical).</summary>
    public static Tensor[] Check(string op, long opset, NodeInput?[] inputs, DType[] outputTypes, double tol = 0,
        params (string Name, object Value)[] attrs)
    {
        var g = OrtParity.OneNode(op, opset, inputs, outputTypes, "", attrs);
        return CheckGraph(g, OrtParity.Feeds(inputs), tol, $"{op}-{opset}");
    }

    public static Tensor[] CheckGraph(Graph.Graph g, Dictionary<string, Tensor> feeds, double tol, string what)
    {
        var (ours, ort) = OrtParity.Run(g, feeds);
        for (int i = 0; i < ours.Length; i++)
        {
            if (ort[i].DType == DType.String)
            {
                Assert.Equal(ort[i].Shape, ours[i].Shape);
                Assert.Equal(ort[i].AsSpan<string>().ToArray(), ours[i].AsSpan<string>().ToArray());
            }
            else if (tol == 0 || !ort[i].DType.IsFloat()) OrtParity.AssertBits(ort[i], ours[i], $"{what} output {i}");
            else TensorAssert.RelativeMax(ort[i], ours[i], tol, $"{what} output {i}");
        }
        return ours;
    }

    /// <summary>Runs a one-node graph in LowBit only.</summary>
    public static Tensor[] Ours(string op, long opset, NodeInput?[] inputs, int outputs, params (string Name, object Value)[] attrs)
    {
        var g = OrtParity.OneNode(op, opset, inputs, Enumerable.Repeat(DType.Undefined, outputs).ToArray(), "", attrs);
        var r = new Session(g).Run(OrtParity.Feeds(inputs));
        return g.Outputs.Select(o => r[o.Name]).ToArray();
    }

    public static Tensor Longs(params long[] v) => Tensor.FromArray(v, v.Length);
    public static Tensor Floats(int[] shape, params float[] v) => Tensor.FromArray(v, shape);

    /// <summary>0, 1, 2, … as float32 of the given shape.</summary>
    public static Tensor Iota(params int[] shape)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = i;
        return t;
    }
}
