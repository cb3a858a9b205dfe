using LowBit.Nn;
using LowBit.Nn.Optim;
using LowBit.Onnx;
using LowBit.Runtime;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Zoo;

/// <summary>A fact skipped, naming what is missing, until every op of the zoo case has a forward and a backward.</summary>
public sealed class ZooTrainableFactAttribute : FactAttribute
{
    public ZooTrainableFactAttribute(string key)
    {
        var g = ZooCases.Get(key).Build();
        var ops = g.Nodes.Where(n => n.OpType != "Constant").ToList();
        var noForward = ops.Where(n => !OpTable.IsSupported(n, g)).Select(n => n.OpType).Distinct().Order().ToList();
        var noBackward = ops.Where(n => !GradTable.Has(n, g.OpsetOf(n.Domain))).Select(n => n.OpType).Distinct().Order().ToList();
        var parts = new List<string>();
        if (noForward.Count > 0) parts.Add($"no forward op for {string.Join(", ", noForward)}");
        if (noBackward.Count > 0) parts.Add($"no gradient for {string.Join(", ", noBackward)}");
        if (parts.Count > 0) Skip = $"{key}: {string.Join("; ", parts)}";
    }
}

/// <summary>
/// End to end: zoo graph + <see cref="TrainingSession"/> + <see cref="Losses"/> + <see cref="AdamW"/> memorize one small
/// batch of random labels. 40 full-batch steps at η = 3e-3 take every model's training loss far below its start (about
/// ln C); the bound 0.5× leaves room for dropout noise while still failing if gradients or updates are wrong.
/// </summary>
public class ZooTrainingTests
{
    private static void AssertOverfitsOneBatch(string key)
    {
        var g = ZooCases.Get(key).Build();
        var feed = ZooCases.Inputs(g, batch: 8, seed: 3);
        int[] targetShape = g.Outputs[0].Shape!.SkipLast(1).Select((d, i) => i == 0 ? 8 : (int)d.Value!.Value).ToArray();
        int classes = (int)g.Outputs[0].Shape![^1].Value!.Value;
        var rng = new Random(5);
        var targets = Tensor.FromArray(Enumerable.Range(0, targetShape.Aggregate(1, (a, b) => a * b)).Select(_ => rng.NextInt64(classes)).ToArray(), targetShape);
        var session = new TrainingSession(g, new SessionOptions(threads: 1), seed: 1);
        var opt = new AdamW(g, new AdamWOptions(3e-3), noWeightDecay: Parameters.NoWeightDecay(g));
        var losses = new List<double>();
        for (int step = 0; step < 40; step++)
        {
            var logits = session.Forward(feed, training: true)["logits"];
            var loss = Losses.CrossEntropy(logits, targets);
            losses.Add(loss.Value);
            var grads = session.Backward(new Dictionary<string, Tensor> { ["logits"] = loss.Gradient }, opt.ParameterNames);
            opt.Step(GradientClipping.ClipByGlobalNorm(grads, 5.0).Gradients);
        }
        double first = losses.Take(3).Average(), last = losses.TakeLast(3).Average();
        Assert.True(last < 0.5 * first, $"{key}: loss {first:F3} → {last:F3} after 40 steps ({string.Join(" ", losses.Select(l => l.ToString("F2")))})");
    }

    [ZooTrainableFact("fashion-cnn")] public void Train_FashionCnn_OverfitsOneBatch() => AssertOverfitsOneBatch("fashion-cnn");
    [ZooTrainableFact("resnet8")] public void Train_ResNet8_OverfitsOneBatch() => AssertOverfitsOneBatch("resnet8");
    [ZooTrainableFact("mobilenet-v2-tiny")] public void Train_MobileNetV2Tiny_OverfitsOneBatch() => AssertOverfitsOneBatch("mobilenet-v2-tiny");
    [ZooTrainableFact("vit-tiny-cls-p7")] public void Train_VitTiny_OverfitsOneBatch() => AssertOverfitsOneBatch("vit-tiny-cls-p7");
    [ZooTrainableFact("gpt-tiny-small")] public void Train_GptTiny_OverfitsOneBatch() => AssertOverfitsOneBatch("gpt-tiny-small");
    [ZooTrainableFact("vit-tiny-cls-p7-clipped")] public void Train_VitTinyClippedSoftmax_OverfitsOneBatch() => AssertOverfitsOneBatch("vit-tiny-cls-p7-clipped");
    [ZooTrainableFact("gpt-tiny-small-gated")] public void Train_GptTinyGated_OverfitsOneBatch() => AssertOverfitsOneBatch("gpt-tiny-small-gated");
}
