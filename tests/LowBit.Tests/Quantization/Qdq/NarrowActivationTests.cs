using LowBit.Data;
using LowBit.Formats;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>
/// Activations narrower than their storage type (uint4 and int3 in 8-bit types, int7 in int8) on the shipped fashion-cnn:
/// every value a reader sees lies on the narrow grid, and ONNX Runtime runs the file to LowBit's output.
/// </summary>
public sealed class NarrowActivationTests
{
    [Theory]
    [InlineData("uint4")]
    [InlineData("int3")]
    [InlineData("int7")]
    public void NarrowActivations_CodesStayOnTheGridAndOrtAgrees(string format)
    {
        var (model, data) = CommittedFashionCnn.Load();
        Tensor Images(int start, int count) => CommittedFashionCnn.Images(data, start, count);
        var f = FormatTable.Get(format);
        // Calibrated on 8 images, run on 64 others: values beyond the calibrated range must saturate at the grid's ends.
        var calib = Enumerable.Range(0, 8).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["input"] = Images(i, 1) });
        var q = Quantizer.Quantize(model, new QuantizerConfig(activations: new ActivationQuantConfig(f)), calib);
        // What the readers see: each DequantizeLinear's output, or the grid Clip after it (signed grids).
        var consumers = q.Graph.Consumers();
        var seen = new List<(string Name, float Scale, long Zero)>();
        foreach (var qn in q.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear"))
        {
            var dq = consumers[qn.Outputs[0]].Single();
            string read = consumers.TryGetValue(dq.Outputs[0], out var after) && after is [{ OpType: "Clip" } clip] ? clip.Outputs[0] : dq.Outputs[0];
            seen.Add((read, q.Graph.Initializers[qn.Inputs[1]].ToFloatArray()[0], q.Graph.Initializers[qn.Inputs[2]].ToInt64Array()[0]));
        }
        Assert.NotEmpty(seen);
        var input = new Dictionary<string, Tensor> { ["input"] = Images(100, 64) };
        var values = new TrainingSession(q.Graph).Forward(input, training: false, outputNames: seen.Select(x => x.Name));
        var (min, max) = f.IntegerRange!.Value;
        bool reachedTop = false;
        foreach (var (name, scale, zero) in seen)
        {
            // Dequantized values are exactly s·(q − z): dividing back recovers the code.
            var c = values[name].ToFloatArray().Select(v => (long)Math.Round(v / (double)scale) + zero).ToArray();
            Assert.All(c, v => Assert.InRange(v, min, max));
            reachedTop |= c.Contains(max);
        }
        Assert.True(reachedTop, "no activation saturated at the top of the grid: the test does not exercise the clip");
        using var ort = OrtRunner.FromGraph(q.Graph);
        var expected = values[q.Graph.Outputs[0].Name];
        TensorAssert.RelativeMax(expected, ort.Run(input).Values.First(), 1e-3);
    }
}
