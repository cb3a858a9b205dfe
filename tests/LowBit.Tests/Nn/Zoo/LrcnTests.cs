using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Quantization;
using LowBit.Tensors;
using Xunit.Abstractions;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Nn.Zoo;

/// <summary>
/// <c>lrcn</c> (conv features per frame → LSTM over the frames → classifier) built, run in ONNX Runtime, and quantized
/// in all three modes. Inputs: batches of 3 clips of 4 frames, pixels uniform in [0, 1) like normalized images.
/// Tolerance against the float model, relative to its largest logit: int8 weights only (measured 1.5 %, bound 4 %);
/// dynamic also rounds every GEMM input to 8 bits, the LSTM's x and each step's h included (measured 3.7 %, bound
/// 7.5 %); static quantizes the conv activations and the classifier input (measured 3.8 %, bound 7.5 %). The classes picked agree on ≥ 75 %
/// of clips (the seeded, untrained model has close logits, so a small error can swap two).
/// The integer kernels of LowBit's engine are slow in Debug builds, so the samples are few (6 clips per check).
/// </summary>
public class LrcnTests(ITestOutputHelper output)
{
    private static List<IReadOnlyDictionary<string, Tensor>> Clips(Graph.Graph g, int count = 2) => RandomData(g, count, batch: 3, seed: 21, lo: 0, hi: 1);

    [Fact]
    public void Build_FramesThroughConvLstmClassifier()
    {
        var g = ModelZoo.Build("lrcn");
        Assert.Equal(new[] { 4, 1, 28, 28 }, g.Inputs[0].Shape!.Skip(1).Select(d => (int)d.Value!.Value).ToArray());
        var lstm = Assert.Single(g.Nodes, n => n.OpType == "LSTM");
        Assert.Equal(32L, lstm.Get<long?>("hidden_size"));
        Assert.Equal([1, 128, 32], g.Initializers[lstm.Inputs[1]].Shape);
        Assert.Equal(2, g.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Equal(13_578, Parameters.Count(g));
        var other = ModelZoo.Build("lrcn", new LrcnOptions(frames: 6, hidden: 8, classes: 5));
        Assert.Equal(6, other.Inputs[0].Shape![1].Value);
        Assert.Equal(5, other.Outputs[0].Shape![1].Value);
    }

    [Fact]
    public void Build_ImageOptions_UsesDefaultFramesAndHidden()
    {
        var g = ModelZoo.Build("lrcn", new ImageModelOptions([1, 16, 16], classes: 3));
        Assert.Equal(new[] { 4, 1, 16, 16 }, g.Inputs[0].Shape!.Skip(1).Select(d => (int)d.Value!.Value).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LrcnOptions(frames: 0));
    }

    [Fact]
    public void Float_LowBitMatchesOnnxRuntime_AndEveryFrameMatters()
    {
        var g = ModelZoo.Build("lrcn");
        var x = Clips(g, 1)[0];
        var a = RunLowBit(g, x);
        Assert.Equal([3, 10], a.Shape);
        TensorAssert.Close(RunOrt(g, x), a, rtol: 1e-4, atol: 1e-5);
        // Changing the first frame changes the logits: the LSTM carries it through the later steps.
        var changed = x.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        changed["frames"].AsSpan<float>()[..784].Fill(1f);
        Assert.True(MaxAbsDiff(a, RunLowBit(g, changed)) > 1e-3f);
    }

    /// <summary>Weight-only skips the LowBit = ORT check: ORT's MatMulNBits at accuracy level 4 rounds its input to int8.</summary>
    private void Check(Graph.Graph f, Graph.Graph q, string mode, float bound)
    {
        float worst = 0;
        double agree = 0;
        var data = Clips(f);
        foreach (var x in data)
        {
            var reference = RunLowBit(f, x);
            var ort = RunOrt(q, x);
            worst = Math.Max(worst, MaxAbsDiff(reference, ort) / MaxAbs(reference));
            agree += Top1Agreement(reference, ort) / data.Count;
            if (mode != "weight-only") Assert.True(MaxAbsDiff(RunLowBit(q, x), ort) < 1e-4f, $"{mode}: LowBit and ONNX Runtime differ on the quantized model");
        }
        output.WriteLine($"lrcn {mode}: max |float − quantized (ORT)| / max |float| = {worst:G3}, top-1 agreement {agree:P0}");
        Assert.InRange(worst, 0, bound);
        Assert.True(agree >= 0.75, $"{mode}: top-1 agreement {agree}");
    }

    [Fact]
    public void WeightOnly_Lrcn_LstmWeightsAndConvsBehindDequantizeLinear()
    {
        var f = ModelZoo.Build("lrcn");
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel)).Graph;
        Assert.Equal("LSTM", Node(q, "lstm").OpType);
        InputDq(q, "lstm", 1);
        InputDq(q, "lstm", 2);
        InputDq(q, "features.conv1", 1);
        Check(f, q, "weight-only", 0.04f);
    }

    [Fact]
    public void Dynamic_Lrcn_DynamicQuantizeLstmAndConvInteger()
    {
        var f = ModelZoo.Build("lrcn");
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic)).Graph;
        Assert.Single(q.Nodes, n => n.OpType == "DynamicQuantizeLSTM" && n.Domain == "com.microsoft");
        Assert.Equal(2, Count(q, "ConvInteger"));
        Assert.Equal(1, Count(q, "MatMulInteger"));
        Check(f, q, "dynamic", 0.075f);
    }

    [Fact]
    public void Static_Lrcn_ConvsQuantizedLstmFloatWithInt8Weights()
    {
        var f = ModelZoo.Build("lrcn");
        var q = Quantizer.Quantize(f, new QuantizerConfig(), Clips(f, 4)).Graph;
        Assert.Equal("LSTM", Node(q, "lstm").OpType);
        InputDq(q, "lstm", 1);
        InputDq(q, "lstm", 2);
        InputDq(q, "features.conv2", 0);
        InputDq(q, "head.fc", 0);
        Check(f, q, "static", 0.075f);
    }
}
