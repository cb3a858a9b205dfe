using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Zoo;

public class ModelZooTests
{
    [Fact]
    public void Names_ListEveryDocumentedModel()
    {
        Assert.Equal(["fashion-cnn", "resnet8", "resnet20", "mobilenet-v2-tiny", "vit-tiny", "gpt-tiny", "lrcn"], ModelZoo.Names);
    }

    [Fact]
    public void Get_UnknownName_ErrorListsKnownNames()
    {
        var e = Assert.Throws<LowBitException>(() => ModelZoo.Get("resnet18"));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        foreach (var n in ModelZoo.Names) Assert.Contains(n, e.Message);
    }

    [Fact]
    public void Build_WrongOptionsType_Throws()
    {
        Assert.Throws<LowBitException>(() => ModelZoo.Build("gpt-tiny", new ImageModelOptions()));
        Assert.Throws<LowBitException>(() => ModelZoo.Build("resnet8", new GptOptions()));
    }

    [Theory]
    [MemberData(nameof(ZooCases.Keys), MemberType = typeof(ZooCases))]
    public void Build_ModelMetadataAndDeclaredShapes(string key)
    {
        var g = ZooCases.Get(key).Build();
        Assert.Equal(21, g.DefaultOpset);
        Assert.Equal(10, g.Metadata.IrVersion);
        Assert.Equal("LowBit", g.Metadata.ProducerName);
        Assert.Single(g.Inputs);
        Assert.Single(g.Outputs);
        Assert.Equal("N", g.Inputs[0].Shape![0].Param);
        Assert.Equal("N", g.Outputs[0].Shape![0].Param);
        Assert.Equal("logits", g.Outputs[0].Name);
        // Every node and value name is unique and every node input is defined before use (the builder emits in order).
        var defined = new HashSet<string>(g.Initializers.Keys.Concat(g.Inputs.Select(i => i.Name)));
        foreach (var n in g.Nodes)
        {
            foreach (var i in n.Inputs) Assert.True(defined.Contains(i), $"{n.Name} reads undefined value {i}");
            foreach (var o in n.Outputs) Assert.True(defined.Add(o), $"value {o} defined twice");
        }
        Assert.Equal(g.Nodes.Count, g.Nodes.Select(n => n.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(ZooCases.Keys), MemberType = typeof(ZooCases))]
    public void Build_UsesOnlyOpsThatTrainingSupports(string key)
    {
        string[] allowed = ["Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Clip", "Gelu", "Sigmoid", "Tanh", "HardSwish",
            "Softmax", "LogSoftmax", "LayerNormalization", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool",
            "Reshape", "Flatten", "Transpose", "Concat", "Slice", "Gather", "Dropout", "Constant", "ReduceSum"];
        var g = ZooCases.Get(key).Build();
        Assert.All(g.Nodes, n => Assert.Contains(n.OpType, allowed));
    }

    [Fact]
    public void Build_DocumentedParameterCounts()
    {
        var counts = ZooCases.All.ToDictionary(c => c.Key, c => Parameters.Count(c.Build()));
        var wrong = ZooCases.All.Where(c => c.Parameters != counts[c.Key]).Select(c => $"{c.Key}: {counts[c.Key]} parameters, documented {c.Parameters}");
        Assert.True(!wrong.Any(), string.Join("; ", wrong));
        // Ranges promised by the model docs (the brief's sizes).
        Assert.InRange(counts["fashion-cnn"], 100_000, 500_000);
        Assert.InRange(counts["mobilenet-v2-tiny"], 50_000, 300_000);
        Assert.InRange(counts["vit-tiny"], 50_000, 300_000);
        Assert.InRange(counts["gpt-tiny"], 300_000, 1_500_000);
    }

    [Fact]
    public void Build_SameSeedSameWeights_OtherSeedDifferent()
    {
        var a = ModelZoo.Build("resnet8", new ImageModelOptions(seed: 3));
        var b = ModelZoo.Build("resnet8", new ImageModelOptions(seed: 3));
        var c = ModelZoo.Build("resnet8", new ImageModelOptions(seed: 4));
        string w = "stage2.block0.conv1.weight";
        Assert.Equal(a.Initializers[w].ToFloatArray(), b.Initializers[w].ToFloatArray());
        Assert.NotEqual(a.Initializers[w].ToFloatArray(), c.Initializers[w].ToFloatArray());
    }

    [Fact]
    public void Build_ReadableHierarchicalNames()
    {
        var g = ModelZoo.Build("resnet20");
        var nodes = g.Nodes.Select(n => n.Name).ToHashSet();
        Assert.Contains("stage1.block0.conv1", nodes);
        Assert.Contains("stage3.block2.bn2", nodes);
        Assert.Contains("stage2.block0.shortcut.conv", nodes);
        Assert.DoesNotContain("stage1.block0.shortcut.conv", nodes);
        Assert.Contains("stage2.block0.conv1.weight", g.Initializers.Keys);
        Assert.Contains("stage2.block0.bn1.running_var", g.Initializers.Keys);
    }

    [Fact]
    public void Build_WidthMultiplier_ScalesChannels()
    {
        var g = ModelZoo.Build("resnet8", new ImageModelOptions(width: 2));
        Assert.Equal([128, 64, 3, 3], g.Initializers["stage3.block0.conv1.weight"].Shape);
        long p1 = Parameters.Count(ModelZoo.Build("resnet8")), p2 = Parameters.Count(g);
        Assert.InRange((double)p2 / p1, 3.5, 4.1);
        var m = ModelZoo.Build("mobilenet-v2-tiny", new ImageModelOptions(width: 0.5));
        // MobileNet channel counts are multiples of 8 (the stem's 16·0.5 = 8, stage widths 12 → 16, 16, 32).
        Assert.All(m.Nodes.Where(n => n.OpType == "Conv"), n => Assert.Equal(0, m.Initializers[n.Inputs[1]].Shape[0] % 8));
    }

    [Fact]
    public void Gpt_CausalMaskIsAdditiveUpperTriangle()
    {
        var g = ModelZoo.Build("gpt-tiny", new GptOptions(context: 5));
        var maskNode = g.Nodes.Single(n => n.OpType == "Constant" && n.Name.Contains("causal_mask"));
        var m = maskNode.Get<Tensor>("value")!;
        Assert.Equal([5, 5], m.Shape);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) Assert.Equal(j > i ? Gpt.MaskValue : 0f, m.AsSpan<float>()[i * 5 + j]);
        Assert.Equal(4, g.Nodes.Count(n => n.OpType == "Add" && n.Inputs.Contains(maskNode.Outputs[0])));
    }

    [Fact]
    public void Gpt_InOnnxRuntime_FutureTokensDoNotChangeEarlierLogits()
    {
        var g = ZooCases.Get("gpt-tiny-small").Build();
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var feed = ZooCases.Inputs(g, batch: 1);
        var before = ort.Run(feed)["logits"].ToFloatArray();
        feed["tokens"].AsSpan<long>()[10] = (feed["tokens"].GetInt64(10) + 1) % 27;
        var after = ort.Run(feed)["logits"].ToFloatArray();
        // logits [1, 16, 27]: positions 0..9 see only tokens 0..9, so they are bit-identical; position 10 changes.
        Assert.Equal(before[..(10 * 27)], after[..(10 * 27)]);
        Assert.NotEqual(before[(10 * 27)..(11 * 27)], after[(10 * 27)..(11 * 27)]);
    }

    [Theory]
    [MemberData(nameof(ZooCases.Keys), MemberType = typeof(ZooCases))]
    public void Export_RunsInOnnxRuntime_WithDeclaredOutputShape(string key)
    {
        var g = ZooCases.Get(key).Build();
        var reloaded = OnnxImporter.Load(OnnxExporter.ToBytes(g), null);
        // The importer turns Constant nodes into initializers; every other node survives the round trip.
        Assert.Equal(g.Nodes.Count(n => n.OpType != "Constant"), reloaded.Nodes.Count);
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var feed = ZooCases.Inputs(g, batch: 3);
        var y = ort.Run(feed)["logits"];
        int[] expected = [3, .. g.Outputs[0].Shape!.Skip(1).Select(d => (int)d.Value!.Value)];
        Assert.Equal(expected, y.Shape);
        var v = y.ToFloatArray();
        Assert.All(v, x => Assert.True(float.IsFinite(x)));
        // Batch rows differ (the model depends on its input) and are not all zero.
        int row = y.Length / 3;
        Assert.True(v.Take(row).Zip(v.Skip(row).Take(row)).Any(p => Math.Abs(p.First - p.Second) > 1e-6), "rows 0 and 1 are identical");
    }
}
