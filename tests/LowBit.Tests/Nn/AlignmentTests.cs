using LowBit.Data;
using LowBit.Nn;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Nn;

/// <summary>Linear CKA alignment: its defining invariances, its gradient against central finite differences (in double,
/// on the float32 implementation: 1e-2 relative), and alignment as a training signal.</summary>
public sealed class AlignmentTests
{
    private static Tensor Random(int n, int d, int seed)
    {
        var r = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, n * d).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), [n, d]);
    }

    [Fact]
    public void Cka_SameRepresentationUpToRotationAndScale_IsOne()
    {
        var x = Random(8, 3, 1).ToFloatArray();
        // y = 3·x·Q, Q a rotation in the first two coordinates, plus a column shift (centering removes it).
        double c = Math.Cos(0.7), s = Math.Sin(0.7);
        var y = new float[24];
        for (int i = 0; i < 8; i++)
        {
            y[i * 3] = (float)(3 * (c * x[i * 3] - s * x[i * 3 + 1]) + 5);
            y[i * 3 + 1] = (float)(3 * (s * x[i * 3] + c * x[i * 3 + 1]));
            y[i * 3 + 2] = 3 * x[i * 3 + 2];
        }
        Assert.Equal(0, Alignment.Cka(Tensor.FromArray(x, [8, 3]), Tensor.FromArray(y, [8, 3])).Value, 1e-5);
        Assert.InRange(Alignment.Cka(Random(8, 3, 1), Random(8, 5, 2)).Value, 0.05, 1);
    }

    [Fact]
    public void Cka_Gradient_MatchesFiniteDifferences()
    {
        var x = Random(6, 5, 3);
        var y = Random(6, 4, 4);
        var grad = Alignment.Cka(x, y).Gradient.ToFloatArray();
        var v = x.ToFloatArray();
        const float h = 1e-2f;
        for (int i = 0; i < v.Length; i++)
        {
            var plus = (float[])v.Clone();
            var minus = (float[])v.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (Alignment.Cka(Tensor.FromArray(plus, [6, 5]), y).Value - Alignment.Cka(Tensor.FromArray(minus, [6, 5]), y).Value) / (2 * h);
            Assert.Equal(fd, grad[i], Math.Max(2e-3, 1e-2 * Math.Abs(fd)));
        }
    }

    /// <summary>A fresh fashion-cnn trained a few steps on the committed subset, with and without aligning its last
    /// convolution to the trained model's: the aligned one ends closer to the guide (CKA on held-out images).</summary>
    [Fact]
    public void Training_WithGuide_MovesTheLayerTowardTheGuide()
    {
        string dir = Assets.Find("fashion-cnn") ?? throw new InvalidOperationException("assets/fashion-cnn not found");
        var guide = OnnxImporter.Load(Path.Combine(dir, "fashion-cnn.onnx"));
        const string layer = "block2.relu2";
        var data = FashionMnist.OpenSubset();
        var x = new float[64 * 784];
        for (int i = 0; i < 64; i++) data.ReadSample(900 + i, x.AsSpan(i * 784, 784));
        var input = Tensor.FromArray(x, [64, 1, 28, 28]);
        var target = new TrainingSession(guide).Forward(new Dictionary<string, Tensor> { ["input"] = input }, false, [layer])[layer];
        double After(TrainerSetup? setup)
        {
            var config = new TrainingConfig("fashion-cnn", "fashion-mnist-1k", epochs: 1, batchSize: 32, validationDataset: "none", threads: 2,
                maxStepsPerEpoch: 12, augment: false, seed: 5);
            var trainer = Trainer.Create(config, setup);
            trainer.Run();
            var mine = new TrainingSession(trainer.Graph).Forward(new Dictionary<string, Tensor> { ["input"] = input }, false, [layer])[layer];
            return Alignment.Cka(mine, target).Value;
        }
        double plain = After(null), aligned = After(new TrainerSetup { Guide = guide, Align = [(layer, layer)], AlignmentWeight = 5 });
        Assert.True(aligned < plain - 0.02, $"1 − CKA to the guide: {aligned:F3} aligned, {plain:F3} without");
    }
}
