using LowBit.Formats;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Tensors;
using LowBit.Tests.Onnx;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization;

/// <summary>Quantizer-level behaviour: exclusions, recipe overrides and their errors, reduce-range, real ResNet18.</summary>
public class QuantizerTests
{
    private static readonly Graph.Graph Model = ConvNet();

    [Fact]
    public void Quantize_RecipeOverride_Int4BlockedOnOneNode()
    {
        var recipe = QuantRecipe.Parse("""{ "nodes": { "conv2": { "weights": { "format": "int4", "granularity": "group:16" } } } }""");
        var q = Quantizer.Quantize(Model, new QuantizerConfig(recipe: recipe), RandomData(Model, 4));
        var g = q.Graph;
        var w2 = InputDq(g, "conv2", 1);
        Assert.Equal(DType.Int4, g.Initializers[w2.Inputs[0]].DType);
        Assert.Equal(16L, w2.Get<long?>("block_size"));
        Assert.Equal(DType.Int8, g.Initializers[InputDq(g, "conv3", 1).Inputs[0]].DType);
        // Group-wise weights cannot take an int32 bias (one scale per output channel needed): the bias stays float.
        Assert.True(g.Initializers.ContainsKey(Node(g, "conv2").Inputs[2]));
        Assert.Equal(21, q.Manifest.Export.Opset);
        Assert.Contains(q.Warnings, w => w.StartsWith("conv2: ONNX Runtime's integer kernels take 8-bit"));
        var x = RandomData(Model, 1)[0];
        var ort = RunOrt(g, x);
        // With VNNI, ONNX Runtime's integer kernels compute exactly what LowBit does. Without it (AVX2, 7-bit weights)
        // its u8s8 requantization can move an activation by one code, which reached 0.0107 of an output of magnitude ~2
        // here: allowed up to 2 % of the output range there.
        float tol = LowBit.Kernels.CpuFeatures.Current.HasVnni ? 1e-5f : 0.02f * MaxAbs(ort);
        Assert.True(MaxAbsDiff(RunLowBit(g, x), ort) <= tol, $"LowBit vs ORT {MaxAbsDiff(RunLowBit(g, x), ort)} > {tol}");
    }

    [Fact]
    public void Quantize_RecipeKeepFloat_WeightStaysFloat()
    {
        var q = Quantizer.Quantize(Model, new QuantizerConfig(recipe: new QuantRecipe(new Dictionary<string, NodeOverride> { ["conv3"] = NodeOverride.Float })), RandomData(Model, 4));
        Assert.Equal(DType.Float32, q.Graph.Initializers["conv3.weight"].DType);
        var entry = q.Manifest.Nodes.Single(n => n.Name == "conv3");
        Assert.False(entry.Quantized);
        Assert.Equal("kept float by the recipe", entry.Reason);
    }

    [Fact]
    public void Quantize_RecipeActivationOverride_AppliesToTheNodesTensors()
    {
        var recipe = QuantRecipe.Parse("""{ "nodes": { "conv2": { "activations": { "format": "int8", "scheme": "symmetric" } } } }""");
        var q = Quantizer.Quantize(Model, new QuantizerConfig(recipe: recipe), RandomData(Model, 4));
        // conv2's output is quantized by the Relu after it, which takes the default; conv2 marks its input (pool) which
        // shares relu1's scale group, so the whole group becomes int8 symmetric.
        var pool = QuantizerOf(q.Graph, "pool");
        Assert.Equal(DType.Int8, q.Graph.Initializers[pool.Inputs[2]].DType);
        Assert.Equal(DType.UInt8, q.Graph.Initializers[QuantizerOf(q.Graph, "relu2").Inputs[2]].DType);
    }

    [Fact]
    public void Quantize_ConflictingActivationOverridesInOneScaleGroup_Error()
    {
        var recipe = QuantRecipe.Parse("""
            { "nodes": { "conv2": { "activations": { "format": "int8", "scheme": "symmetric" } },
                         "concat": { "activations": { "format": "uint8" , "observer": "mse" } } } }
            """);
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(recipe: recipe), RandomData(Model, 2)));
        Assert.Contains("set different activation formats on tensors that must share one scale", e.Message);
    }

    [Fact]
    public void Quantize_UnknownNodeName_ListsClosestAndAllNodes()
    {
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(QuantMode.Dynamic, excludeNodes: ["conv_2"])));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.StartsWith("the exclusion list names node 'conv_2', which the model does not have (closest: conv2,", e.Message);
        Assert.Contains("the model's nodes: ", e.Message);
        Assert.Contains("relu3", e.Message);
        var r = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model,
            new QuantizerConfig(QuantMode.Dynamic, recipe: new QuantRecipe(new Dictionary<string, NodeOverride> { ["fc9"] = NodeOverride.Float }))));
        Assert.StartsWith("the recipe names node 'fc9'", r.Message);
    }

    [Fact]
    public void Quantize_UnknownOpType_ListsModelOpTypes()
    {
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(QuantMode.Dynamic, excludeOpTypes: ["Convolution"])));
        Assert.Contains("names op type 'Convolution', which the model does not use; its op types: Add, BatchNormalization, Concat, Conv,", e.Message);
    }

    [Fact]
    public void Quantize_SettingOnFoldedBatchNorm_Warns()
    {
        var q = Quantizer.Quantize(Model, new QuantizerConfig(QuantMode.Dynamic, excludeNodes: ["bn1"]));
        Assert.Contains("node 'bn1' was folded away while preparing the graph (constant or BatchNormalization folding); its setting has no effect", q.Warnings);
    }

    [Fact]
    public void Quantize_ReduceRange_WeightCodesFitVpmaddubswBound()
    {
        var q = Quantizer.Quantize(Model, new QuantizerConfig(reduceRange: true), RandomData(Model, 4));
        Assert.True(q.Manifest.Cpu.ReduceRange);
        Assert.All(q.Manifest.Tensors.Where(t => t.Kind == "weight"), t => Assert.Equal("int7", t.Format));
        var weights = q.Graph.Nodes.Where(n => n.OpType == "DequantizeLinear")
            .Select(n => q.Graph.Initializers.GetValueOrDefault(n.Inputs[0])).Where(t => t?.DType == DType.Int8).ToList();
        Assert.Equal(4, weights.Count);
        foreach (var w in weights)
        {
            var codes = CodeStorage.FromTensor(w!);
            // Two adjacent u8·s7 products: |255·c1 + 255·c2| ≤ 255·64·2 = 32640 < 32767 (no int16 saturation).
            Assert.All(codes, c => Assert.InRange(c, -64, 63));
        }
        var x = RandomData(Model, 1)[0];
        // ONNX Runtime requantizes with a rounded float multiplier, LowBit divides by the scale: a code can differ by one,
        // which moves this output by about one output step (measured 0.46 % of max |y|); allowed 1 %.
        var y = RunLowBit(q.Graph, x);
        Assert.True(MaxAbsDiff(y, RunOrt(q.Graph, x)) <= 0.01f * MaxAbs(y), $"ORT differs by {MaxAbsDiff(y, RunOrt(q.Graph, x))}");
    }

    [Fact]
    public void Quantize_AlreadyQuantizedModel_Refused()
    {
        var q = Quantizer.Quantize(Model, new QuantizerConfig(QuantMode.Dynamic));
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(q.Graph, new QuantizerConfig(QuantMode.Dynamic)));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("the model is already quantized (node ", e.Message);
    }

    [ResNet18Fact]
    public void Quantize_ResNet18Opset8_RaisedTo13AndOrtAgrees()
    {
        var f = OnnxImporter.Load(RealModels.ResNet18);
        var data = RandomData(f, 2, batch: 1, lo: -120, hi: 140);
        var q = Quantizer.Quantize(f, new QuantizerConfig(quantizeGraphOutputs: true), data, calibrationOptions: new CalibrationOptions(minSamples: 2));
        Assert.Equal(13, q.Manifest.Export.Opset);
        Assert.Equal(22, q.Manifest.Preparation.BatchNormsFolded);
        Assert.Equal(22, q.Graph.Nodes.Count(n => n.OpType == "Conv"));
        var ops = OrtFusion.OptimizedOps(q.Graph);
        Assert.Equal(22, ops.GetValueOrDefault("QLinearConv"));
        float step = q.Manifest.Tensors.Single(t => t.Kind == "activation" && t.Name == f.Outputs[0].Name).Scales![0];
        var a = RunLowBit(q.Graph, data[0]);
        Assert.True(MaxAbsDiff(a, RunOrt(q.Graph, data[0])) <= 4 * step);
        Assert.InRange((double)Bytes(f) / Bytes(q.Graph), 3.8, 4.0);
    }
}
