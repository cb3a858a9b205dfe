using LowBit.Quantization;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization;

public class QuantizerSmokeTests
{
    [Fact]
    public void Diagnose_Block()
    {
        var g = TransformerBlock();
        var data = RandomData(g, 8);
        foreach (var ex in new[] { new string[0], ["Mul"], ["Softmax"], ["LayerNormalization"], ["Gelu"], ["Add"], ["Mul", "Add"], ["Transpose", "Reshape"] })
        {
            var q = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.Static, excludeOpTypes: ex), data);
            var a = RunLowBit(q.Graph, data[0]);
            var b = RunOrt(q.Graph, data[0]);
            Console.WriteLine($"exclude [{string.Join(",", ex)}]: {MaxAbsDiff(a, b)}  ort: " + string.Join(" ", OrtFusion.OptimizedOps(q.Graph).Select(kv => $"{kv.Key}x{kv.Value}")));
        }
    }
}
