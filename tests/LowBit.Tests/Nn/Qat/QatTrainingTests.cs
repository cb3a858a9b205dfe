using LowBit.Data;
using LowBit.Nn.Qat;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Runtime;
using LowBit.Tensors;
using Xunit.Abstractions;

namespace LowBit.Tests.Nn.Qat;

/// <summary>
/// Quantization-aware training does its job on the shipped fashion-cnn: a few dozen LSQ steps on the committed
/// fashion-mnist-1k subset win back accuracy that W4A4 round-to-nearest lost, and every learned scale moves.
/// </summary>
public sealed class QatTrainingTests(ITestOutputHelper output)
{
    private static double Accuracy(Graph.Graph g, Dataset d)
    {
        var session = new Session(g);
        return ImageTrainingData.Evaluate(d, x => session.Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x })[g.Outputs[0].Name],
            100, null, CancellationToken.None).Top1;
    }

    [Fact]
    public void Lsq_FewSteps_RecoversW4A4AccuracyAndLearnsEveryScale()
    {
        string dir = Assets.Find("fashion-cnn") ?? throw new InvalidOperationException("assets/fashion-cnn not found");
        var model = OnnxImporter.Load(Path.Combine(dir, "fashion-cnn.onnx"));
        var data = FashionMnist.OpenSubset();
        var qat = QatModelTests.Prepare(model, data, "int4", "uint4", QatMethod.Lsq, calibrate: 128);
        var scalesBefore = qat.ScaleNames.ToDictionary(n => n, n => qat.TrainingGraph.Initializers[n].ToFloatArray());
        var config = new TrainingConfig("fashion-cnn", "fashion-mnist-1k", epochs: 1, batchSize: 32, augment: false, threads: 2,
            validationDataset: "none", maxStepsPerEpoch: 30, recipe: TrainingDefaults.QuantizationAware);
        var trainer = Trainer.ForGraph(config, qat.TrainingGraph, new TrainerSetup { Parameters = qat.Parameters, AfterStep = qat.ClampScales });
        trainer.Run();
        double before = Accuracy(qat.Initial.Graph, data), after = Accuracy(qat.Export(QatModelTests.Info(qat)).Graph, data), fp = Accuracy(model, data);
        output.WriteLine($"float {fp:P2}, W4A4 nearest {before:P2}, after 30 LSQ steps {after:P2}");
        Assert.True(after >= before + 0.01, $"W4A4 {before:P2} → {after:P2} after 30 steps (float {fp:P2})");
        Assert.All(qat.ScaleNames, n => Assert.NotEqual(scalesBefore[n], qat.TrainingGraph.Initializers[n].ToFloatArray()));
    }
}
