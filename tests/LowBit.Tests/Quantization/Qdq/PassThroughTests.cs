using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Pass-through ops reuse their input's scale (transformer block: Reshape/Transpose after the q projection).</summary>
public class PassThroughTests
{
    private static readonly Graph.Graph Float = TransformerBlock();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_TransposeAndReshape_ReuseTheirInputScale()
    {
        var g = Q.Graph;
        // q (Add output) → q.split (Reshape) → q.heads (Transpose): the three Qs use one scale initializer.
        var scales = new[] { "q", "q.split", "q.heads" }.Select(t => QuantizerOf(g, t).Inputs[1]).Distinct().ToList();
        Assert.Single(scales);
    }
}
