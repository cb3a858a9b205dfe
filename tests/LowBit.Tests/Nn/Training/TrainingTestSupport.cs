using LowBit.Data;
using LowBit.Nn.Training;
using LowBit.Tests.Data;

namespace LowBit.Tests.Nn.Training;

/// <summary>Short training runs on the committed 1,000-image Fashion-MNIST subset (CI-sized: a few steps of batch 16 on
/// one thread, so results are bit-reproducible).</summary>
public static class TrainingTestSupport
{
    public const string Subset = "fashion-mnist-1k";

    /// <summary>fashion-cnn (SGD η = 0.02, so a handful of steps of batch 16 stays stable) on the 1k subset, validated on
    /// the first 100 images of it.</summary>
    public static TrainingConfig SmallCnn(string? checkpointDir = null, int epochs = 2, int maxSteps = 3, double? lr = 0.02,
        int seed = 1, int checkpointEvery = 0, string model = "fashion-cnn", OptimizerKind? optimizer = null, string dataset = Subset,
        int batch = 16) =>
        new(model, dataset, epochs: epochs, batchSize: batch, learningRate: lr, seed: seed, threads: 1, validationDataset: Subset,
            checkpointDir: checkpointDir, checkpointEverySteps: checkpointEvery, maxStepsPerEpoch: maxSteps, maxValidationSamples: 100,
            optimizer: optimizer);

    /// <summary>Writes an IDX image/label pair of <paramref name="count"/> random h×w images with labels i mod classes
    /// (plus <paramref name="extraLabel"/> on the last sample when given); returns the data spec.</summary>
    public static string WriteIdx(TempDir dir, string name, int count, int h, int w, int classes, int? extraLabel = null)
    {
        var rng = new Random(7);
        var images = new byte[count * h * w];
        rng.NextBytes(images);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % classes)).ToArray();
        if (extraLabel is int e) labels[^1] = (byte)e;
        string img = dir.File(name + "-images.gz"), lab = dir.File(name + "-labels.gz");
        Idx.Write(img, new IdxArray(IdxType.UInt8, [count, h, w], images));
        Idx.Write(lab, new IdxArray(IdxType.UInt8, [count], labels));
        return $"idx={img},labels={lab}";
    }

    /// <summary>A small English-like UTF-8 corpus (repetitive, so a language model learns it within a few steps).</summary>
    public static string WriteCorpus(TempDir dir, string name = "corpus.txt")
    {
        var words = new[] { "the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "big", "red", "house" };
        var rng = new Random(3);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 3000; i++) sb.Append(words[rng.Next(words.Length)]).Append(i % 9 == 8 ? ".\n" : " ");
        string path = dir.File(name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }
}
