using LowBit.Data;
using LowBit.Formats;
using LowBit.Nn.Qat;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Qat;

/// <summary>
/// The training graph of <see cref="QatModel"/> against the files it exports, on the shipped fashion-cnn and the
/// committed fashion-mnist-1k subset: whatever the weights and scales have become, the exported QDQ model (in LowBit
/// and in ONNX Runtime) computes what the training graph computed.
/// </summary>
public sealed class QatModelTests
{
    private static (Graph.Graph Model, Dataset Data) Load() => CommittedFashionCnn.Load();

    private static Tensor Images(Dataset d, int start, int count) => CommittedFashionCnn.Images(d, start, count);

    internal static QatModel Prepare(Graph.Graph model, Dataset data, string weights, string activations, QatMethod method, int calibrate = 64) =>
        QatModel.Prepare(model, new QuantizerConfig(weights: new WeightQuantConfig(FormatTable.Get(weights)),
                activations: new ActivationQuantConfig(FormatTable.Get(activations))), method,
            Enumerable.Range(0, calibrate).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [model.Inputs[0].Name] = Images(data, i, 1) }));

    internal static TrainingInfo Info(QatModel qat) => new(qat.Method.ToString().ToLowerInvariant(), "test", 0, 0, 0, 0, null, null, null, null);

    private static Tensor Run(Graph.Graph g, Tensor x) =>
        new Session(g).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x })[g.Outputs[0].Name];

    private static Tensor RunOrt(Graph.Graph g, Tensor x)
    {
        using var ort = OrtRunner.FromGraph(g);
        return ort.Run(new Dictionary<string, Tensor> { [ort.InputNames[0]] = x }).Values.First();
    }

    [Theory]
    [InlineData("int8", "uint8")]
    [InlineData("int4", "uint4")]
    [InlineData("int3", "int8")]
    public void Export_UntrainedModel_EqualsPostTrainingQuantization(string weights, string activations)
    {
        var (model, data) = Load();
        var qat = Prepare(model, data, weights, activations, QatMethod.Lsq);
        var x = Images(data, 500, 32);
        var initial = Run(qat.Initial.Graph, x);
        var training = Run(qat.TrainingGraph, x);
        var exported = Run(qat.Export(QatModelTests.Info(qat)).Graph, x);
        // Same codes, same float32 arithmetic up to summation order of the float convolutions (1e-4 relative).
        TensorAssert.Close(initial, training, 1e-4, 1e-4);
        TensorAssert.Close(initial, exported, 1e-4, 1e-4);
    }

    [Theory]
    [InlineData("int4", "uint4", QatMethod.Lsq)]
    [InlineData("ternary", "uint8", QatMethod.BitNet)]
    [InlineData("nf4", "uint8", QatMethod.Lsq)]
    [InlineData("apot4", "uint4", QatMethod.Ste)]
    public void Export_AfterWeightsAndScalesMoved_ComputesTheTrainingGraph(string weights, string activations, QatMethod method)
    {
        var (model, data) = Load();
        var qat = Prepare(model, data, weights, activations, method);
        var g = qat.TrainingGraph;
        var rng = new Random(3);
        // What training does to the state: every weight and every learned scale moves.
        foreach (var name in qat.Parameters)
        {
            var t = g.Initializers[name].AsSpan<float>();
            bool scale = qat.ScaleNames.Contains(name);
            for (int i = 0; i < t.Length; i++) t[i] *= scale ? (float)(0.8 + 0.4 * rng.NextDouble()) : (float)(1 + 0.05 * (rng.NextDouble() - 0.5));
        }
        var x = Images(data, 600, 32);
        var training = Run(g, x);
        var q = qat.Export(QatModelTests.Info(qat));
        TensorAssert.Close(training, Run(q.Graph, x), 1e-4, 1e-4);
        TensorAssert.Close(training, RunOrt(q.Graph, x), 1e-3, 1e-3);
    }

    [Fact]
    public void Export_Manifest_NamesTheFloatModelAndRefusesReplay()
    {
        var (model, data) = Load();
        var qat = Prepare(model, data, "int8", "uint8", QatMethod.Pact);
        var q = qat.Export(Info(qat));
        Assert.Equal("pact", q.Manifest.Training!.Method);
        Assert.Equal(qat.Initial.Manifest.Source, q.Manifest.Source);
        var dir = Directory.CreateTempSubdirectory("lowbit-qat-").FullName;
        try
        {
            string path = Path.Combine(dir, "q.onnx");
            q.Save(path);
            var e = Assert.Throws<LowBitException>(() => QuantizedModel.Load(QuantizedModel.ManifestPathFor(path), model));
            Assert.Contains("quantization-aware training", e.Message);
            Assert.Equal("pact", QuantizedModel.ReadManifest(QuantizedModel.ManifestPathFor(path)).Training!.Method);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>A transformer's Add/Mul constants (biases of MatMul + Add, attention scale) are stored with the activation
    /// format: the training graph must quantize them as the export does.</summary>
    [Fact]
    public void Export_Transformer_ComputesTheTrainingGraph()
    {
        var model = LowBit.Nn.Zoo.ModelZoo.Build("vit-tiny", new LowBit.Nn.Zoo.VitOptions([1, 28, 28], patchSize: 7, depth: 1, heads: 2, dim: 16, seed: 2));
        var r = new Random(4);
        Tensor Batch(int n) => Tensor.FromArray(Enumerable.Range(0, n * 784).Select(_ => (float)r.NextDouble()).ToArray(), [n, 1, 28, 28]);
        var calib = Enumerable.Range(0, 8).Select(_ => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [model.Inputs[0].Name] = Batch(1) });
        var qat = QatModel.Prepare(model, new QuantizerConfig(weights: new WeightQuantConfig(FormatTable.Get("int4")),
            activations: new ActivationQuantConfig(FormatTable.Get("uint4"))), QatMethod.Lsq, calib);
        Assert.Contains(qat.TrainingGraph.Nodes, n => n.OpType == FakeQuantizeOp.OpType && n.Inputs[0].EndsWith(".bias", StringComparison.Ordinal));
        // Constants are quantized but are not the weights saliency ranks.
        Assert.DoesNotContain(qat.WeightNames, w => w.EndsWith(".bias", StringComparison.Ordinal));
        var x = Batch(16);
        TensorAssert.Close(Run(qat.TrainingGraph, x), Run(qat.Export(Info(qat)).Graph, x), 1e-4, 1e-4);
    }
}
