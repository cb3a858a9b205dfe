using LowBit.Data;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit qat --retrain</c> (saliency-aware partial retraining) on the committed fashion-cnn and fashion-mnist-1k,
/// three steps: the selection in the JSON result, and the frozen layers' weights in the exported file equal to full QAT's
/// start (post-training quantization with the same flags, STE so that no scale moves, unpacked codes to compare).</summary>
public class QatRetrainTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Model => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");

    private string[] Args(string output, params string[] more) =>
        ["qat", Model, "--dataset", "fashion-mnist-1k", "--validation", "fashion-mnist-1k", "--out", h.PathOf(output), "--weights", "int2",
         "--activations", "uint8", "--epochs", "1", "--max-steps", "3", "--batch", "32", "--max-val", "100", "--calib-samples", "32",
         "--saliency-batches", "2", "--threads", "2", "--json", .. more];

    [CommittedModelFact]
    public void Qat_SalientLayers_RecordsTheSelectionAndLeavesFrozenLayersAtTheirStart()
    {
        var r = CliHarness.Run(Args("l.onnx", "--retrain", "salient-layers:0.5", "--method", "ste", "--pack", "false"));
        Assert.True(r.Code == 0, r.Err);
        var rt = r.Json().GetProperty("retrain");
        Assert.Equal("salient-layers:0.5", rt.GetProperty("mode").GetString());
        Assert.Equal(2, rt.GetProperty("saliency_batches").GetInt32());
        var layers = rt.GetProperty("layers").EnumerateArray().Select(l => (Name: l.GetProperty("name").GetString()!,
            Elements: l.GetProperty("elements").GetInt32(), Saliency: l.GetProperty("saliency").GetDouble(), Retrained: l.GetProperty("retrained").GetInt32())).ToList();
        // fashion-cnn has 6 weight tensors: ⌈0.5·6⌉ = 3 train in full, the 3 of least saliency are frozen.
        Assert.Equal(6, layers.Count);
        var trained = layers.Where(l => l.Retrained == l.Elements).ToList();
        var frozen = layers.Where(l => l.Retrained == 0).ToList();
        Assert.Equal((3, 3), (trained.Count, frozen.Count));
        Assert.True(trained.Min(l => l.Saliency) >= frozen.Max(l => l.Saliency));
        Assert.Equal(trained.Sum(l => (long)l.Elements), rt.GetProperty("retrained_weights").GetInt64());

        // The post-training file with the same flags: frozen layers' quantized weights are identical, trained ones differ.
        var q = CliHarness.Run(["quantize", Model, "--out", h.PathOf("ptq.onnx"), "--weights", "int2", "--activations", "uint8",
            "--calib-data", "fashion-mnist-1k", "--calib-samples", "32", "--threads", "2", "--pack", "false"]);
        Assert.True(q.Code == 0, q.Err);
        var ptq = Onnx.OnnxImporter.Load(h.PathOf("ptq.onnx"));
        var qat = Onnx.OnnxImporter.Load(h.PathOf("l.onnx"));
        foreach (var l in layers)
        {
            string k = l.Name + "_quantized";
            bool same = ptq.Initializers[k].ToInt64Array().SequenceEqual(qat.Initializers[k].ToInt64Array());
            Assert.True(same == (l.Retrained == 0), $"{l.Name} ({k}): {(same ? "unchanged" : "changed")} but retrained {l.Retrained} of {l.Elements}");
        }
    }

    [CommittedModelFact]
    public void Qat_SalientWeights_RetrainsTheTopFractionOfElements()
    {
        var r = CliHarness.Run(Args("w.onnx", "--retrain", "salient-weights:0.1"));
        Assert.True(r.Code == 0, r.Err);
        var rt = r.Json().GetProperty("retrain");
        long total = rt.GetProperty("total_weights").GetInt64();
        Assert.Equal((long)Math.Ceiling(0.1 * total), rt.GetProperty("retrained_weights").GetInt64());
        Assert.Equal(rt.GetProperty("retrained_weights").GetInt64(), rt.GetProperty("layers").EnumerateArray().Sum(l => (long)l.GetProperty("retrained").GetInt32()));
    }

    [Theory]
    [InlineData("salient-neurons:0.5", "unknown scope")]
    [InlineData("salient-layers", "give the fraction")]
    [InlineData("random-weights", "give the fraction")]
    [InlineData("salient-weights:1.5", "must be in (0, 1]")]
    [InlineData("salient-weights:0", "must be in (0, 1]")]
    public void Qat_BadRetrain_OneLineUsageError(string spec, string message)
    {
        var r = CliHarness.Run([.. Args("bad.onnx", "--retrain", spec).Where(a => a != "--json")]);
        Assert.Equal(2, r.Code);
        Assert.Contains(message, Assert.Single(r.ErrLines));
        Assert.False(File.Exists(h.PathOf("bad.onnx")));
    }
}
