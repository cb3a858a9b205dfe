using LowBit.Data;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Tests;

/// <summary>The committed fashion-cnn (assets/fashion-cnn) and the committed Fashion-MNIST test subset, as tests use them.</summary>
internal static class CommittedFashionCnn
{
    public static string Path => System.IO.Path.Combine(Assets.Find("fashion-cnn") ?? throw new InvalidOperationException("assets/fashion-cnn not found"), "fashion-cnn.onnx");

    public static (Graph.Graph Model, Dataset Data) Load() => (OnnxImporter.Load(Path), FashionMnist.OpenSubset());

    /// <summary>Samples [start, start + count) of <paramref name="d"/> as one batch.</summary>
    public static Tensor Images(Dataset d, int start, int count)
    {
        var x = new float[count * d.SampleLength];
        for (int i = 0; i < count; i++) d.ReadSample(start + i, x.AsSpan(i * d.SampleLength, d.SampleLength));
        return Tensor.FromArray(x, [count, .. d.SampleShape]);
    }
}
