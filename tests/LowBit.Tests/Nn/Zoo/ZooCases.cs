using ModelGraph = LowBit.Graph.Graph;
using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Zoo;

/// <summary>The zoo configurations the tests cover: every registered model with its defaults plus the variants the
/// docs promise (3×32×32 input, class-token ViT, wider models), each with its exact trainable parameter count.</summary>
public static class ZooCases
{
    public sealed record Case(string Key, string Model, ModelOptions? Options, long Parameters)
    {
        public ModelGraph Build() => Model == BuilderMix ? BuildMix() : ModelZoo.Build(Model, Options);
    }

    /// <summary>Not a zoo model: a graph exercising the builder helpers whose forward ops exist without normalization.</summary>
    private const string BuilderMix = "builder-mix";

    /// <summary>[N,3,8,8] → conv3×3 → ReLU → maxpool → tokens [N,16,8] → Dense → GELU → ReLU6 → swap halves (Slice,
    /// Concat) → ·0.5 → flatten → dropout → Gemm → logits [N,5]. 224 + 72 + 645 = 941 parameters.</summary>
    private static ModelGraph BuildMix()
    {
        var b = new GraphBuilder(BuilderMix, seed: 2);
        string x = b.Input("input", DType.Float32, 3, 8, 8);
        x = b.MaxPool(b.Relu(b.Conv(x, 3, 8, 3)), 2, 2);
        x = b.Transpose(b.Reshape(x, [0, 8, 16]), [0, 2, 1]);
        x = b.Relu6(b.Gelu(b.Dense(x, 8, 8, std: 0.5)));
        x = b.Concat(1, [b.Slice(x, [8], [16], [1]), b.Slice(x, [0], [8], [1])]);
        x = b.Dropout(b.Flatten(b.Mul(x, b.Scalar(0.5f))), 0.1f);
        return Finish(b, b.Linear(x, 128, 5), 5);
    }

    private static ModelGraph Finish(GraphBuilder b, string x, int classes)
    {
        b.Output(x, "logits", DType.Float32, classes);
        return b.Graph;
    }

    private static readonly int[] Cifar = [3, 32, 32];

    public static readonly Case[] All =
    [
        new("fashion-cnn", "fashion-cnn", null, 266_602),
        new("fashion-cnn-cifar", "fashion-cnn", new ImageModelOptions(Cifar, 10), 328_618),
        new("resnet8", "resnet8", null, 77_754),
        new("resnet8-cifar", "resnet8", new ImageModelOptions(Cifar, 10), 78_042),
        new("resnet20", "resnet20", null, 272_186),
        new("resnet20-cifar", "resnet20", new ImageModelOptions(Cifar, 10), 272_474),
        new("mobilenet-v2-tiny", "mobilenet-v2-tiny", null, 134_250),
        new("mobilenet-v2-tiny-cifar", "mobilenet-v2-tiny", new ImageModelOptions(Cifar, 100), 157_668),
        new("vit-tiny", "vit-tiny", null, 138_890),
        new("vit-tiny-cls-p7", "vit-tiny", new VitOptions(patchSize: 7, classToken: true), 139_018),
        new("gpt-tiny", "gpt-tiny", null, 818_176),
        new(BuilderMix, BuilderMix, null, 941),
        new("gpt-tiny-small", "gpt-tiny", new GptOptions(vocab: 27, context: 16, layers: 2, heads: 2, width: 32), 27_712),
        // Quantizable-transformer attention (AttentionVariants): the clipped softmax adds no parameters, the gate H·(d + 1)
        // per block (vit p7: 4·17·4 = 272; gpt small: 2·17·2 = 68).
        new("vit-tiny-cls-p7-clipped", "vit-tiny", new VitOptions(patchSize: 7, classToken: true, attention: AttentionKind.ClippedSoftmax), 139_018),
        new("vit-tiny-cls-p7-gated", "vit-tiny", new VitOptions(patchSize: 7, classToken: true, attention: AttentionKind.Gated), 139_290),
        new("gpt-tiny-small-clipped", "gpt-tiny", new GptOptions(vocab: 27, context: 16, layers: 2, heads: 2, width: 32, attention: AttentionKind.ClippedSoftmax), 27_712),
        new("gpt-tiny-small-gated", "gpt-tiny", new GptOptions(vocab: 27, context: 16, layers: 2, heads: 2, width: 32, attention: AttentionKind.Gated), 27_780),
    ];

    public static IEnumerable<object[]> Keys() => All.Select(c => new object[] { c.Key });

    public static Case Get(string key) => All.Single(c => c.Key == key);

    /// <summary>Seeded inputs for a batch of <paramref name="batch"/>: N(0,1) images, or token ids in [0, V).</summary>
    public static Dictionary<string, Tensor> Inputs(ModelGraph g, int batch, int seed = 1)
    {
        var rng = new Random(seed);
        var feed = new Dictionary<string, Tensor>();
        foreach (var v in g.Inputs)
        {
            int[] shape = [batch, .. v.Shape!.Skip(1).Select(d => checked((int)d.Value!.Value))];
            int n = shape.Aggregate(1, (a, b) => a * b);
            if (v.DType == DType.Int64)
            {
                long vocab = g.Initializers.First(kv => kv.Key.EndsWith("token_embedding", StringComparison.Ordinal)).Value.Shape[0];
                feed[v.Name] = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => rng.NextInt64(vocab)).ToArray(), shape);
            }
            else
                feed[v.Name] = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray(), shape);
        }
        return feed;
    }
}
