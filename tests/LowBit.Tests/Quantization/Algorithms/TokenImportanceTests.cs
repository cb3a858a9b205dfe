using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Tensors;
using Xunit;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>RSQ's attention concentration (Layers/TokenImportance.cs) and GPTQ with the token-weighted Hessian.</summary>
public class TokenImportanceTests
{
    /// <summary>Causal attention spread evenly over the visible tokens: query q gives 1/(q+1) to each t ≤ q.</summary>
    private static Tensor CausalUniform(int sequences, int heads, int tokens)
    {
        var p = new float[sequences * heads * tokens * tokens];
        for (int m = 0; m < sequences * heads; m++)
            for (int q = 0; q < tokens; q++)
                for (int t = 0; t <= q; t++) p[(m * tokens + q) * tokens + t] = 1f / (q + 1);
        return Tensor.FromArray(p, sequences, heads, tokens, tokens);
    }

    [Fact]
    public void PerRow_CausalUniformAttention_IsTheHarmonicTail()
    {
        // r_t = Σ_{q ≥ t} 1/(q + 1): T = 3 gives 1 + 1/2 + 1/3, 1/2 + 1/3, 1/3 (mean 1), the same in every sequence.
        var r = TokenImportance.PerRow(CausalUniform(2, 4, 3), 6)!;
        double[] expected = [11.0 / 6, 5.0 / 6, 1.0 / 3, 11.0 / 6, 5.0 / 6, 1.0 / 3];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], r[i], 1e-6);
    }

    [Fact]
    public void PerRow_HeadsAveragedPerSequence()
    {
        // Sequence 0: head 0 looks only at token 0, head 1 only at token 1 → r = (1, 1) (T = 2 queries each, halved by
        // 2 heads). Sequence 1: both heads only at token 1 → r = (0, 2).
        var p = new float[2 * 2 * 2 * 2];
        void Set(int b, int h, int q, int t) => p[((b * 2 + h) * 2 + q) * 2 + t] = 1;
        for (int q = 0; q < 2; q++) { Set(0, 0, q, 0); Set(0, 1, q, 1); Set(1, 0, q, 1); Set(1, 1, q, 1); }
        Assert.Equal(new[] { 1f, 1f, 0f, 2f }, TokenImportance.PerRow(Tensor.FromArray(p, 2, 2, 2, 2), 4));
    }

    [Theory]
    [InlineData(5)]   // not whole sequences of 3 tokens
    [InlineData(9)]   // 3 sequences, but 8 maps do not split into 3 equal head groups
    public void PerRow_RowsNotMatchingTheAttention_Null(int positions) =>
        Assert.Null(TokenImportance.PerRow(CausalUniform(2, 4, 3), positions));

    [Fact]
    public void PerRow_NonSquareScores_Null() => Assert.Null(TokenImportance.PerRow(Tensor.Zeros(DType.Float32, 2, 3, 4), 6));

    [Fact]
    public void NearestAttention_TransformerBlock_FindsTheSoftmaxReadByPV()
    {
        var g = TransformerBlock();
        var fc = g.Nodes.First(n => n.OpType is "MatMul" or "Gemm" && g.Initializers.ContainsKey(n.Inputs[1]));
        var softmax = g.Nodes.Single(n => n.OpType == "Softmax");
        Assert.Equal(softmax.Outputs[0], TokenImportance.NearestAttention(g, fc));
    }

    private static QuantizedModel Gptq(Graph.Graph g, TokenWeighting tokens, List<IReadOnlyDictionary<string, Tensor>> calib) =>
        Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, new WeightQuantConfig(FormatTable.Get("int3"), new WeightGranularity.PerChannel()),
            algorithm: new AlgorithmConfig(WeightAlgorithm.Gptq, tokenWeighting: tokens), weightOnlyKernel: WeightOnlyKernel.DequantizeLinear), calib);

    [Fact]
    public void Gptq_AttentionWeighting_EveryLinearLayerWeightedChangesCodesAndRunsInOrt()
    {
        var g = TransformerBlock();
        var calib = RandomData(g, 4, seed: 11);
        var plain = Gptq(g, TokenWeighting.None, calib);
        var rsq = Gptq(g, TokenWeighting.Attention, calib);
        Assert.Equal("attention", rsq.Manifest.Config.Algorithm!.TokenImportance);
        var weights = rsq.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
        Assert.NotEmpty(weights);
        Assert.All(weights, t => Assert.Contains("token-weighted Hessian", t.Algorithm!.Summary));
        Assert.DoesNotContain(plain.Manifest.Tensors, t => t.Algorithm?.Summary.Contains("token-weighted") == true);
        // Another objective picks other codes somewhere (the attention here is far from uniform over 8 tokens).
        Assert.Contains(weights, t => !plain.Graph.Initializers[t.Name + "_quantized"].AsReadOnlySpan<byte>()
            .SequenceEqual(rsq.Graph.Initializers[t.Name + "_quantized"].AsReadOnlySpan<byte>()));
        foreach (var x in RandomData(g, 2, seed: 12))
        {
            var mine = RunLowBit(rsq.Graph, x);
            // ONNX Runtime rewrites DequantizeLinear(int4) → MatMul itself (docs/quantization.md, weight-only) and then
            // differs by ~1 % of max |y| here, with round-to-nearest weights alike; the bound is the other GPTQ tests' one.
            float diff = MaxAbsDiff(mine, RunOrt(rsq.Graph, x)), quant = MaxAbsDiff(mine, RunLowBit(g, x));
            Assert.True(diff <= 0.4f * quant + 0.02f * MaxAbs(mine), $"LowBit vs ONNX Runtime: {diff} (max |y| {MaxAbs(mine)}, quantization error {quant})");
        }
    }

    [Fact]
    public void Gptq_AttentionWeightingWithoutAttention_WarnsAndMatchesPlainGptq()
    {
        var g = ConvNet();
        var calib = RandomData(g, 2, seed: 5);
        var rsq = Gptq(g, TokenWeighting.Attention, calib);
        Assert.Contains(rsq.Warnings, w => w.Contains("no attention Softmax"));
        var plain = Gptq(g, TokenWeighting.None, calib);
        foreach (var t in plain.Manifest.Tensors.Where(t => t.Kind == "weight"))
            Assert.Equal(plain.Graph.Initializers[t.Name + "_quantized"].AsReadOnlySpan<byte>().ToArray(),
                rsq.Graph.Initializers[t.Name + "_quantized"].AsReadOnlySpan<byte>().ToArray());
    }

    [Fact]
    public void AlgorithmConfig_TokenWeightingWithoutGptq_IsUsageError()
    {
        var x = Assert.Throws<LowBitException>(() => new AlgorithmConfig(WeightAlgorithm.AdaRound, tokenWeighting: TokenWeighting.Attention));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains("gptq", x.Message);
    }
}
