using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;

namespace LowBit.Tests.Nn.Zoo;

/// <summary>A fact that is skipped, with the missing op types named, while LowBit lacks a forward op of the zoo case.</summary>
public sealed class ZooOpsRegisteredFactAttribute : FactAttribute
{
    public ZooOpsRegisteredFactAttribute(string key)
    {
        var g = ZooCases.Get(key).Build();
        var missing = g.Nodes.Where(n => !OpTable.IsSupported(n, g)).Select(n => $"{n.OpType}-{g.OpsetOf(n.Domain)}").Distinct().Order().ToList();
        if (missing.Count > 0) Skip = $"{key}: LowBit has no forward op yet for {string.Join(", ", missing)}";
    }
}

/// <summary>
/// LowBit's <see cref="Session"/> against ONNX Runtime on every zoo case: max |Δ| ≤ 1e-4·max |ORT| (the project's FP32
/// parity criterion; float32 reorderings in GEMM/conv accumulations and ORT's fusions stay far below it).
/// </summary>
public class ZooParityTests
{
    private static void AssertParity(string key)
    {
        var g = ZooCases.Get(key).Build();
        var feed = ZooCases.Inputs(g, batch: 2, seed: 7);
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var expected = ort.Run(feed)["logits"];
        var actual = new Session(g, new SessionOptions(threads: 1)).Run(feed)["logits"];
        TensorAssert.RelativeMax(expected, actual, 1e-4, key);
    }

    [ZooOpsRegisteredFact("fashion-cnn")] public void Session_FashionCnn_MatchesOnnxRuntime() => AssertParity("fashion-cnn");
    [ZooOpsRegisteredFact("resnet8-cifar")] public void Session_ResNet8_MatchesOnnxRuntime() => AssertParity("resnet8-cifar");
    [ZooOpsRegisteredFact("resnet20")] public void Session_ResNet20_MatchesOnnxRuntime() => AssertParity("resnet20");
    [ZooOpsRegisteredFact("mobilenet-v2-tiny")] public void Session_MobileNetV2Tiny_MatchesOnnxRuntime() => AssertParity("mobilenet-v2-tiny");
    [ZooOpsRegisteredFact("vit-tiny")] public void Session_VitTiny_MatchesOnnxRuntime() => AssertParity("vit-tiny");
    [ZooOpsRegisteredFact("vit-tiny-cls-p7")] public void Session_VitTinyClassToken_MatchesOnnxRuntime() => AssertParity("vit-tiny-cls-p7");
    [ZooOpsRegisteredFact("builder-mix")] public void Session_BuilderMix_MatchesOnnxRuntime() => AssertParity("builder-mix");
    [ZooOpsRegisteredFact("gpt-tiny")] public void Session_GptTiny_MatchesOnnxRuntime() => AssertParity("gpt-tiny");
    [ZooOpsRegisteredFact("vit-tiny-cls-p7-clipped")] public void Session_VitTinyClippedSoftmax_MatchesOnnxRuntime() => AssertParity("vit-tiny-cls-p7-clipped");
    [ZooOpsRegisteredFact("vit-tiny-cls-p7-gated")] public void Session_VitTinyGated_MatchesOnnxRuntime() => AssertParity("vit-tiny-cls-p7-gated");
    [ZooOpsRegisteredFact("gpt-tiny-small-clipped")] public void Session_GptTinyClippedSoftmax_MatchesOnnxRuntime() => AssertParity("gpt-tiny-small-clipped");
    [ZooOpsRegisteredFact("gpt-tiny-small-gated")] public void Session_GptTinyGated_MatchesOnnxRuntime() => AssertParity("gpt-tiny-small-gated");
}
