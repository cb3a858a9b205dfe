using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Quantization.Algorithms.Blocks;
using LowBit.Runtime;
using LowBit.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>BRECQ's block finding on ResNet-, MobileNet- and transformer-style graphs, entropy merging, and crops.</summary>
public class BlockPartitionTests(ITestOutputHelper output)
{
    /// <summary>Weighted nodes as the quantizer marks them: Conv/Gemm/MatMul with an initializer weight.</summary>
    private static List<Graph.Node> Layers(Graph.Graph g) =>
        g.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Inputs.Count > 1 && g.Initializers.ContainsKey(n.Inputs[1])).ToList();

    private List<Block> Find(Graph.Graph g)
    {
        var layers = Layers(g);
        var blocks = BlockPartition.Find(g, layers);
        foreach (var b in blocks) output.WriteLine(b.ToString());
        // Every layer in exactly one block, blocks in graph order, nodes contiguous and covering the graph.
        Assert.Equal(layers, blocks.SelectMany(b => b.Layers));
        Assert.Equal(g.Nodes, blocks.SelectMany(b => b.Nodes));
        for (int i = 1; i < blocks.Count; i++) Assert.Equal(blocks[i - 1].Output, blocks[i].Input);
        return blocks;
    }

    [Fact]
    public void Find_ResNet8_StemResidualBlocksAndHead()
    {
        var blocks = Find(ModelZoo.Build("resnet8"));
        // stem conv; stage 1 (2 convs, identity shortcut); stages 2, 3 (2 convs + 1×1 projection shortcut); classifier.
        Assert.Equal([1, 2, 3, 3, 1], blocks.Select(b => b.Layers.Count));
        Assert.All(blocks.Skip(1).Take(3), b => Assert.Equal("Add", b.Nodes.First(n => n.OpType == "Add").OpType));
        Assert.Equal("Relu", blocks[1].Nodes[^1].OpType);
    }

    [Fact]
    public void Find_MobileNetV2Tiny_InvertedResidualsWithDepthwiseWhole()
    {
        var g = ModelZoo.Build("mobilenet-v2-tiny");
        var blocks = Find(g);
        var residual = blocks.Where(b => b.Nodes.Any(n => n.OpType == "Add")).ToList();
        Assert.NotEmpty(residual);
        // An inverted residual with a skip: expand 1×1, depthwise 3×3 (group = channels), project 1×1, Add — one block.
        Assert.All(residual, b =>
        {
            Assert.Contains(b.Layers, n => (n.Get<long?>("group") ?? 1) > 1);
            Assert.InRange(b.Layers.Count, 2, 3);
            Assert.Equal("Add", b.Nodes.Last(n => n.OpType != "Relu" && n.OpType != "Clip").OpType);
        });
        // Without a skip (stride 2 or width change) the chain is cut after every layer.
        Assert.Contains(blocks, b => b.Layers.Count == 1 && (b.Layers[0].Get<long?>("group") ?? 1) > 1);
    }

    [Fact]
    public void Find_TransformerBlock_AttentionAndMlpSubLayers()
    {
        var g = QuantTestModels.TransformerBlock();
        var blocks = Find(g);
        Assert.Equal(2, blocks.Count);
        Assert.Equal("x", blocks[0].Input);
        Assert.Equal(["q", "k", "v", "proj"], blocks[0].Layers.Select(n => n.Name.Split('.')[0]));
        Assert.Equal("LayerNormalization", blocks[0].Nodes[0].OpType);
        Assert.Equal("Add", blocks[0].Nodes[^1].OpType);
        Assert.Equal(2, blocks[1].Layers.Count);
        Assert.Equal("y", blocks[1].Output);
    }

    [Fact]
    public void Find_VitTiny_TwoSubLayersPerTransformerBlock()
    {
        var blocks = Find(ModelZoo.Build("vit-tiny"));
        var attention = blocks.Where(b => b.Nodes.Any(n => n.OpType == "Softmax")).ToList();
        Assert.Equal(4, attention.Count);
        Assert.All(attention, b => Assert.True(b.Layers.Count >= 2));
        Assert.Equal(4, blocks.Count(b => b.Nodes.Any(n => n.OpType is "Gelu" or "Erf") && !b.Nodes.Any(n => n.OpType == "Softmax")));
    }

    [Fact]
    public void Merge_HighEntropyBoundaries_JoinsUpToMaxLayers()
    {
        var g = QuantTestModels.TransformerBlock();
        var blocks = BlockPartition.Find(g, Layers(g));
        var merged = BlockPartition.Merge(g, blocks, _ => 0.9, threshold: 0.5, maxLayers: 8);
        var one = Assert.Single(merged);
        Assert.Equal(6, one.Layers.Count);
        Assert.Equal("x", one.Input);
        Assert.Equal(2, BlockPartition.Merge(g, blocks, _ => 0.9, threshold: 0.5, maxLayers: 5).Count);
        Assert.Equal(2, BlockPartition.Merge(g, blocks, _ => 0.4, threshold: 0.5, maxLayers: 8).Count);
    }

    [Fact]
    public void NormalizedEntropy_UniformAndConstant_OneAndZero()
    {
        var uniform = Enumerable.Range(0, 256 * 64).Select(i => (float)(i % 256)).ToArray();
        Assert.InRange(BlockPartition.NormalizedEntropy(uniform), 0.999, 1.0);
        Assert.Equal(0, BlockPartition.NormalizedEntropy(new float[100]));
        var twoValues = Enumerable.Range(0, 1000).Select(i => (float)(i % 2)).ToArray();
        Assert.Equal(1.0 / 8, BlockPartition.NormalizedEntropy(twoValues), 9);
    }

    /// <summary>A cropped run equals the whole run on the crop's exact window (to float rounding of the same sums).</summary>
    [Fact]
    public void Crop_StridedResidualBlock_ExactOnWindow()
    {
        var b = new GraphBuilder("crop", 5);
        string x = b.Input("x", DType.Float32, 4, 40, 40);
        string h = b.Relu(b.Conv(x, 4, 8, 3, stride: 2, name: "c1"), "r1");
        h = b.Conv(b.MaxPool(h, 3, 1, pad: 1, name: "mp"), 8, 8, 3, name: "c2");
        string s = b.Conv(x, 4, 8, 1, stride: 2, pad: 0, name: "shortcut");
        b.Output(b.Relu(b.Add(h, s, "add"), "r2"), "y", DType.Float32, 8, 20, 20);
        var g = b.Graph;
        var block = Assert.Single(BlockPartition.Find(g, Layers(g)));
        var crop = BlockCrop.TryCreate(g, block, [1, 4, 40, 40], 4);
        Assert.NotNull(crop);
        Assert.Equal([2, 2], crop.Stride);
        var input = QuantTestModels.RandomData(g, 1, batch: 1)[0];
        var full = new Session(g).Run(input)["y"];
        g.Inputs[0] = g.Inputs[0] with { Shape = null };
        var rng = new Random(3);
        for (int trial = 0; trial < 6; trial++)
        {
            var (start, length, lo) = crop.Sample([1, 4, 40, 40], rng);
            var part = new Session(g).Run(new Dictionary<string, Tensor> { ["x"] = BlockCrop.Slice(input["x"], start, length) })["y"];
            var fs = full.AsReadOnlySpan<float>();
            var ps = part.AsReadOnlySpan<float>();
            for (int c = 0; c < 8; c++)
                for (int r = 0; r < 4; r++)
                    for (int q = 0; q < 4; q++)
                    {
                        float want = fs[c * 400 + (start[0] / 2 + lo[0] + r) * 20 + start[1] / 2 + lo[1] + q];
                        float got = ps[(c * part.Shape[2] + lo[0] + r) * part.Shape[3] + lo[1] + q];
                        Assert.Equal(want, got, 4);
                    }
        }
    }
}
