using LowBit.Data;
using LowBit.Nn.Qat;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Tensors;
using ModelGraph = LowBit.Graph.Graph;

namespace LowBit.Tests.Nn.Qat;

/// <summary>
/// <see cref="PartialRetraining"/>: the selection on hand-made scores, and training on the shipped fashion-cnn (fashion-mnist-1k,
/// a few steps) where only the selected weights may move. The training runs at a high rate and weight decay (0.01, 0.05) so
/// every frozen element would visibly move were it not held (decay alone shifts it by ~5e-4 of itself per step).
/// </summary>
public sealed class PartialRetrainingTests
{
    private static readonly string[] Names = ["a", "b", "c"];

    // Totals: a 4, b 10, c 1.4. Elements, largest first: b1 9, a2 2.5, a0 1, b0 1 (tie: a before b), c* 0.5 / 0.3, a1 0.3, a3 0.2.
    private static Dictionary<string, float[]> Scores() => new()
    {
        ["a"] = [1f, 0.3f, 2.5f, 0.2f],
        ["b"] = [1f, 9f],
        ["c"] = [0.5f, 0.3f, 0.3f, 0.3f],
    };

    private static ModelGraph Graph()
    {
        var g = new ModelGraph();
        foreach (var (n, s) in Scores()) g.Initializers[n] = Tensor.FromArray(s.Select(v => v + 100).ToArray(), [s.Length]);
        return g;
    }

    [Fact]
    public void Select_SalientLayers_TakesTheLayersWithTheLargestTotalAndDropsTheRestFromTheParameters()
    {
        var p = PartialRetraining.Select(Graph(), Names, Scores(), new RetrainSelection(RetrainScope.SalientLayers, 0.5));
        // ⌈0.5·3⌉ = 2 layers: b (10) and a (4).
        Assert.Equal([4, 2, 0], p.Layers.Select(l => l.Retrained));
        Assert.Equal(["a", "b", "bias", "scale"], p.Parameters(["a", "b", "c", "bias", "scale"]));
        Assert.Equal(6, p.RetrainedWeights);
        Assert.Equal(10, p.TotalWeights);
    }

    [Fact]
    public void Select_SalientWeights_TakesTheTopFractionOfElementsAcrossTensors()
    {
        var g = Graph();
        var p = PartialRetraining.Select(g, Names, Scores(), new RetrainSelection(RetrainScope.SalientWeights, 0.4));
        // ⌈0.4·10⌉ = 4 elements: b1, a2, then the tie a0 / b0 (both taken), nothing of c.
        Assert.Equal([2, 2, 0], p.Layers.Select(l => l.Retrained));
        Assert.Equal(["a", "b"], p.Parameters(Names));
        var grad = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, [4]);
        var filtered = p.FilterGradient("a", grad);
        Assert.Equal([1f, 0f, 3f, 0f], filtered.ToFloatArray());
        Assert.Equal([1f, 2f, 3f, 4f], grad.ToFloatArray());
        Assert.Same(grad, p.FilterGradient("b", grad));
        g.Initializers["a"].AsSpan<float>().Fill(-1);
        p.Restore(g);
        Assert.Equal([-1f, 100.3f, -1f, 100.2f], g.Initializers["a"].ToFloatArray());
    }

    [Fact]
    public void Select_RandomWeights_TakesTheSameCountByASeededDraw()
    {
        var scores = new Dictionary<string, float[]> { ["a"] = Enumerable.Range(0, 600).Select(i => (float)i).ToArray(), ["b"] = new float[400] };
        var g = new ModelGraph();
        g.Initializers["a"] = Tensor.Zeros(DType.Float32, [600]);
        g.Initializers["b"] = Tensor.Zeros(DType.Float32, [400]);
        var salient = PartialRetraining.Select(g, ["a", "b"], scores, new RetrainSelection(RetrainScope.SalientWeights, 0.25));
        var random = PartialRetraining.Select(g, ["a", "b"], scores, new RetrainSelection(RetrainScope.RandomWeights, 0.25), seed: 1);
        var again = PartialRetraining.Select(g, ["a", "b"], scores, new RetrainSelection(RetrainScope.RandomWeights, 0.25), seed: 1);
        Assert.Equal([250, 0], salient.Layers.Select(l => l.Retrained));
        Assert.Equal(250, random.RetrainedWeights);
        // Uniform over 1000 elements: b's share is hypergeometric, mean 100, sd ≈ 8.4; 60..140 is beyond 4.7 sd.
        Assert.InRange(random.Layers[1].Retrained, 60, 140);
        Assert.Equal(random.Layers.Select(l => l.Retrained), again.Layers.Select(l => l.Retrained));
    }

    [Theory]
    [InlineData(true, 0.5)]
    [InlineData(false, 0.1)]
    public void Train_PartialRetraining_OnlySelectedWeightsChange(bool layers, double fraction)
    {
        var scope = layers ? RetrainScope.SalientLayers : RetrainScope.SalientWeights;
        string dir = Assets.Find("fashion-cnn") ?? throw new InvalidOperationException("assets/fashion-cnn not found");
        var qat = QatModelTests.Prepare(OnnxImporter.Load(Path.Combine(dir, "fashion-cnn.onnx")), FashionMnist.OpenSubset(), "int3", "uint8", QatMethod.Lsq, calibrate: 32);
        var config = new TrainingConfig("fashion-cnn", "fashion-mnist-1k", epochs: 1, batchSize: 32, learningRate: 0.01, weightDecay: 0.05,
            augment: false, threads: 2, validationDataset: "none", maxStepsPerEpoch: 3, recipe: TrainingDefaults.QuantizationAware);
        var g = qat.TrainingGraph;
        var weights = qat.WeightNames;
        var plan = PartialRetraining.Select(g, weights, Saliency.Measure(qat, config, 2), new RetrainSelection(scope, fraction));
        var before = weights.ToDictionary(w => w, w => g.Initializers[w].ToFloatArray());
        var setup = plan.Restrict(new TrainerSetup { Parameters = qat.Parameters, AfterStep = qat.ClampScales }, g, qat.Parameters);
        Trainer.ForGraph(config, g, setup).Run();

        long changed = 0;
        foreach (var layer in plan.Layers)
        {
            var w0 = before[layer.Name];
            var w1 = g.Initializers[layer.Name].ToFloatArray();
            int moved = Enumerable.Range(0, w0.Length).Count(i => BitConverter.SingleToInt32Bits(w0[i]) != BitConverter.SingleToInt32Bits(w1[i]));
            // Never more than the selection (frozen elements bit-identical); with decay at 0.05 nearly all selected ones move.
            Assert.InRange(moved, 0, layer.Retrained);
            if (layer.Retrained > 0) Assert.True(moved >= layer.Retrained * 0.9, $"{layer.Name}: {moved} of {layer.Retrained} selected elements moved");
            changed += moved;
        }
        Assert.True(plan.RetrainedWeights < plan.TotalWeights, "the selection froze nothing");
        Assert.True(changed > 0);
    }
}
