using BenchmarkDotNet.Attributes;
using LowBit.Graph;
using LowBit.Kernels;
using LowBit.Onnx;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Benchmarks;

/// <summary>
/// Single-thread Conv forward and backward (dX alone, dW alone) at batch 32 for the 3×3 layers that dominate the zoo's
/// training step (fashion-cnn block1.conv2 and block2.conv2, resnet8 stage1, stage3 and its strided entry). A backward piece costs the forward's
/// FLOPs, so dX/forward and dW/forward near 1 mean the backward adds no overhead beyond its arithmetic.
/// </summary>
[WarmupCount(2)]
[IterationCount(8)]
public class ConvGradBenchmarks
{
    private Tensor?[] inputs = [];
    private BoundOp forward = null!, backward = null!;
    private Node node = null!;
    private Tensor?[] outputs = [];
    private Tensor dy = null!;

    /// <summary>C×H×W → M, 3×3, pad 1 (suffix s2: stride 2).</summary>
    [Params("32x28x28-32", "64x14x14-64", "16x28x28-16", "64x7x7-64", "32x14x14-64s2")]
    public string Layer { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Layer.Split('-');
        var chw = parts[0].Split('x').Select(int.Parse).ToArray();
        int stride = parts[1].EndsWith("s2") ? 2 : 1;
        int m = int.Parse(parts[1].Replace("s2", ""));
        var rng = new Random(1);
        Tensor R(params int[] shape) => Tensor.FromArray(Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), shape);
        inputs = [R(32, chw[0], chw[1], chw[2]), R(m, chw[0], 3, 3)];
        node = new Node("Conv", ["x", "w"], ["y"]).With("pads", new long[] { 1, 1, 1, 1 }).With("strides", new long[] { stride, stride });
        forward = OpTable.Bind(node, 21);
        backward = GradTable.Bind(node, 21);
        outputs = forward.Invoke(Context(), inputs);
        dy = R(outputs[0]!.Shape);
        Parallelism.Degree = 1;
    }

    private OpContext Context() => new() { Node = node, Opset = 21, Training = true };

    private GradContext Grad(bool dx, bool dw) => new()
    {
        Node = node, Opset = 21, Training = true, Outputs = outputs, OutputGrads = [dy], NeedsInputGrad = [dx, dw],
    };

    [Benchmark(Baseline = true)]
    public Tensor? Forward() => forward.Invoke(Context(), inputs)[0];

    [Benchmark]
    public Tensor? DataGradient() => backward.Invoke(Grad(true, false), inputs)[0];

    [Benchmark]
    public Tensor? WeightGradient() => backward.Invoke(Grad(false, true), inputs)[1];
}
