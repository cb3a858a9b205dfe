using LowBit.Formats;
using LowBit.Graph;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Quantization.Qdq;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>The matrix view every weight algorithm works on: W·x over im2col patches must reproduce the node's own output
/// (ONNX Conv/MatMul/Gemm run by LowBit's Session, itself checked against ONNX Runtime and the backend node tests).</summary>
public class LayerViewTests
{
    private static LinearLayer View(Graph.Graph g, string nodeName, Granularity? granularity = null)
    {
        var node = g.Nodes.Single(n => n.Name == nodeName);
        var w = g.Initializers[node.Inputs[1]];
        var gran = granularity ?? PerTensor.Instance;
        var mark = new WeightMark(node.Inputs[1], WeightQuantConfig.Int8PerChannel, gran, node, 0, 1);
        var p = Affine.ChooseFromData(QdqParams.Floats(w), w.Shape, FormatTable.Get("int4"), QuantScheme.Symmetric, gran);
        return LinearLayer.TryCreate(g, mark, p, out var reason) ?? throw new Exception(reason);
    }

    /// <summary>Checks y[n, o, position] = Σ_k W[o,k]·patch[k] + b[o] at every output position.</summary>
    private static void AssertPatchesReproduce(Graph.Graph g, string nodeName, Tensor x, Func<Tensor, int, int, float> outputAt)
    {
        var layer = View(g, nodeName);
        var node = layer.Node;
        var s = new Session(g, new SessionOptions { Optimize = false, Threads = 1 });
        var values = s.Run(new Dictionary<string, Tensor> { [g.RealInputs.First().Name] = x }, [node.Inputs[0], node.Outputs[0]]);
        var patches = new Patches(layer, values[node.Inputs[0]]);
        var w = layer.ReadMatrix(g);
        var bias = layer.Bias is { } b ? g.Initializers[b].ToFloatArray() : new float[layer.Rows];
        var patch = new float[layer.Cols];
        double worst = 0;
        for (int p = 0; p < patches.Positions; p++)
            for (int o = 0; o < layer.Rows; o++)
            {
                patches.Extract(p, o / layer.RowsPerGroup, patch);
                double y = bias[o];
                for (int k = 0; k < layer.Cols; k++) y += w[o * layer.Cols + k] * patch[k];
                worst = Math.Max(worst, Math.Abs(y - outputAt(values[node.Outputs[0]], p, o)));
            }
        // float32 sums of ≤ 72 products of O(1) values against the SGEMM kernel's own order: 1e-4 absolute.
        Assert.True(worst < 1e-4, $"{nodeName}: max |W·patch + b − y| = {worst}");
    }

    private static Dim[] Dims(int[] d) => d.Select(v => Dim.Known(v)).ToArray();

    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    [Theory]
    [InlineData(1, 1, 3)]   // plain 3×3, pad 1
    [InlineData(2, 1, 3)]   // stride 2: pads at the far edge are not all used
    [InlineData(1, 2, 3)]   // two groups
    [InlineData(1, 4, 3)]   // depthwise (4 channels, 4 groups)
    [InlineData(2, 1, 1)]   // 1×1 strided
    public void Patches_TimesWeights_EqualConvOutput(int stride, int group, int kernel)
    {
        var b = new GraphBuilder("conv", 3);
        string x = b.Input("x", DType.Float32, 4, 7, 6);
        int outChannels = group == 4 ? 4 : 8, pad = kernel / 2;
        b.Output(b.Conv(x, 4, outChannels, kernel, stride: stride, group: group, name: "c"), "y", DType.Float32,
            outChannels, (7 + 2 * pad - kernel) / stride + 1, (6 + 2 * pad - kernel) / stride + 1);
        var g = b.Graph;
        var bias = g.Initializers[g.Nodes.Single(n => n.Name == "c").Inputs[2]].AsSpan<float>();
        for (int i = 0; i < bias.Length; i++) bias[i] = 0.1f * i;
        AssertPatchesReproduce(g, "c", Random(5, 2, 4, 7, 6), (y, p, o) =>
        {
            int spatial = y.Shape[2] * y.Shape[3];
            return y.AsReadOnlySpan<float>()[((p / spatial) * y.Shape[1] + o) * spatial + p % spatial];
        });
    }

    [Theory]
    [InlineData("MatMul", 0)]
    [InlineData("Gemm", 0)]
    [InlineData("Gemm", 1)]
    public void Patches_TimesWeights_EqualMatMulAndGemmOutput(string op, long transB)
    {
        var g = new Graph.Graph();
        int k = 6, n = 5;
        bool isGemm = op == "Gemm";
        g.Inputs.Add(new ValueInfo("x", DType.Float32, Dims(isGemm ? [3, k] : [2, 3, k])));
        g.Initializers["w"] = Random(9, transB == 1 ? [n, k] : [k, n]);
        var inputs = new List<string> { "x", "w" };
        if (isGemm) { g.Initializers["b"] = Random(10, n); inputs.Add("b"); }
        var node = g.Add(op, [.. inputs], ["y"], "m");
        if (isGemm) node.With("transB", transB);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, Dims(isGemm ? [3, n] : [2, 3, n])));
        AssertPatchesReproduce(g, "m", Random(11, isGemm ? [3, k] : [2, 3, k]), (y, p, o) => y.AsReadOnlySpan<float>()[p * n + o]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Grid_Nearest_EqualsQuantizeDequantize(bool grouped)
    {
        var g = new GraphBuilder("conv", 4);
        string x = g.Input("x", DType.Float32, 32, 5, 5);
        g.Output(g.Conv(x, 32, 6, 3, name: "c"), "y", DType.Float32, 6, 5, 5);
        var graph = g.Graph;
        var node = graph.Nodes.Single(n => n.Name == "c");
        var w = graph.Initializers[node.Inputs[1]];
        Granularity gran = grouped ? new PerGroup(1, 16) : new PerChannel(0);
        var layer = View(graph, "c", gran);
        var expected = Affine.FakeQuantize(w, layer.Params).ToFloatArray();
        var grid = layer.Grid();
        var m = layer.ReadMatrix(graph);
        for (int o = 0; o < layer.Rows; o++)
            for (int k = 0; k < layer.Cols; k++)
            {
                int i = o * layer.Cols + k;
                Assert.Equal(expected[layer.TensorIndex(o, k)], grid.Nearest(i, m[i]));
                var (down, up) = grid.Neighbours(i, m[i]);
                Assert.True(down <= m[i] + 1e-6f * Math.Abs(m[i]) || down == grid.Range(i).Min, $"down {down} > w {m[i]}");
                Assert.True(up >= m[i] - 1e-6f * Math.Abs(m[i]) || up == grid.Range(i).Max, $"up {up} < w {m[i]}");
                Assert.True(grid.Nearest(i, m[i]) == down || grid.Nearest(i, m[i]) == up);
            }
    }

    [Fact]
    public void WriteMatrix_ReadMatrix_RoundTrip_KeepsShapeAndLayout()
    {
        var g = new Graph.Graph();
        g.Initializers["w"] = Random(3, 4, 7);
        var node = g.Add("MatMul", ["x", "w"], ["y"], "m");
        g.Inputs.Add(new ValueInfo("x", DType.Float32, Dims([1, 4])));
        var layer = View(g, "m");
        var m = layer.ReadMatrix(g);
        Assert.Equal(g.Initializers["w"].AsReadOnlySpan<float>()[1 * 7 + 2], m[2 * 4 + 1]);   // B[k=1, n=2] = matrix[n=2, k=1]
        m[2 * 4 + 1] = 42;
        layer.WriteMatrix(g, m);
        Assert.Equal([4, 7], g.Initializers["w"].Shape);
        Assert.Equal(42f, g.Initializers["w"].AsReadOnlySpan<float>()[1 * 7 + 2]);
    }
}
