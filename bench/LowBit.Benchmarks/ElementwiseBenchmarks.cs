using BenchmarkDotNet.Attributes;
using LowBit.Graph;
using LowBit.Kernels;
using LowBit.Onnx;
using LowBit.Onnx.Ops;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Benchmarks;

/// <summary>
/// The element-wise broadcast driver and the memory-bound ResNet ops on a [1,64,56,56] float32 activation (200,704
/// elements, 784 KiB). The baseline is one bare TensorPrimitives.Add over the same spans: memory-bound ops should sit
/// near it (Relu, same-shape Add, BatchNormalization each read and write one tensor like it; Add reads two).
/// <c>Broadcast*</c> rows compare the loop structures on a per-channel bias add ([64,1,1]): the fast/collapsed
/// path (rows of 3136) against the uncollapsed full-rank walk (rows of 56). Run:
/// <c>dotnet run -c Release --project bench/LowBit.Benchmarks -- --filter *Elementwise*</c>. Op outputs come from a
/// session-style buffer pool and go back to it, as in a Session (no per-call allocation of 784 KiB).
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private static readonly int[] Shape = [1, 64, 56, 56];
    private Tensor x = null!, y = null!, bias = null!, scale = null!, shift = null!, mean = null!, var = null!;
    private float[] dst = [];
    private OpContext ctx = null!;
    private readonly TensorPool pool = new();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(1);
        Tensor Rand(params int[] shape)
        {
            var t = Tensor.Zeros(DType.Float32, shape);
            var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (float)rnd.NextDouble() * 2 - 1;
            return t;
        }
        x = Rand(Shape);
        y = Rand(Shape);
        bias = Rand(64, 1, 1);
        scale = Rand(64);
        shift = Rand(64);
        mean = Rand(64);
        var = Rand(64);
        var.AsSpan<float>().Fill(0.5f);
        dst = new float[x.Length];
        ctx = new OpContext { Node = new Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"]), Opset = 15 };
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesAdd() => TP.Add(x.AsReadOnlySpan<float>(), y.AsReadOnlySpan<float>(), dst);

    [Benchmark]
    public Tensor AddSameShape()
    {
        Parallelism.Degree = Threads;
        TensorPool.Current = pool;
        var r = Arithmetic.Add(x, y);
        pool.Return(r.Data);
        return r;
    }

    [Benchmark]
    public Tensor Relu()
    {
        Parallelism.Degree = Threads;
        TensorPool.Current = pool;
        var r = Activations.Relu(x);
        pool.Return(r.Data);
        return r;
    }

    [Benchmark]
    public Tensor BatchNormalization()
    {
        Parallelism.Degree = Threads;
        TensorPool.Current = pool;
        var r = BatchNorm.BatchNormalization(ctx, x, scale, shift, mean, var)[0]!;
        pool.Return(r.Data);
        return r;
    }

    [Benchmark]
    public void BroadcastChannelBiasCollapsed()
    {
        Parallelism.Degree = Threads;
        Elementwise.BinaryInto<float, float, AddOp<float>>((float[])x.Data, Shape, (float[])bias.Data, bias.Shape, dst, Shape, BroadcastPath.Auto);
    }

    [Benchmark]
    public void BroadcastChannelBiasUncollapsed()
    {
        Parallelism.Degree = Threads;
        Elementwise.BinaryInto<float, float, AddOp<float>>((float[])x.Data, Shape, (float[])bias.Data, bias.Shape, dst, Shape, BroadcastPath.Uncollapsed);
    }
}
