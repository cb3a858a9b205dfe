using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Formats;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>
/// Quantize q = saturate(round(x / s) + z) and dequantize r = (q − z)·s over tensors of any rank, exactly as ONNX
/// QuantizeLinear / DequantizeLinear (opset 21: per tensor, per axis, blocked): x / s is a float32 division (not a
/// multiply by 1/s, which can move ties), rounding happens before z is added (round(2.5) + 1 = 3, not round(3.5) = 4),
/// dequantization is float32((q − z) as an integer) · s.
/// </summary>
internal static partial class Affine
{
    /// <summary>Elements per inner step: the scaled values live on the stack (4 KiB).</summary>
    private const int Chunk = 1024;

    /// <summary>Codes of <paramref name="x"/> (row-major, <paramref name="shape"/>) under <paramref name="p"/>.
    /// <paramref name="rounding"/> defaults to <see cref="Nearest"/> (ties to even).</summary>
    public static void Quantize(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, QuantParams p, Span<int> codes, IRounding? rounding = null)
    {
        rounding ??= Nearest.Instance;
        CheckLengths(x.Length, codes.Length, shape, p);
        Span<float> scaled = stackalloc float[Chunk];
        foreach (var run in ParamLayout.Runs(shape, p.Granularity))
            for (int off = 0; off < run.Length; off += Chunk)
            {
                int n = Math.Min(Chunk, run.Length - off), start = run.Start + off;
                EncodeChunk(x.Slice(start, n), codes.Slice(start, n), p, run.Param + off * run.Step, run.Step, rounding, start, scaled);
            }
    }

    /// <summary>Real values of <paramref name="codes"/>: y = (q − z)·s.</summary>
    public static void Dequantize(ReadOnlySpan<int> codes, ReadOnlySpan<int> shape, QuantParams p, Span<float> y)
    {
        CheckLengths(codes.Length, y.Length, shape, p);
        foreach (var run in ParamLayout.Runs(shape, p.Granularity))
            DecodeRun(codes.Slice(run.Start, run.Length), y.Slice(run.Start, run.Length), p, run.Param, run.Step);
    }

    /// <summary>y = dequantize(quantize(x)): the value the quantized model computes with. In place is allowed.</summary>
    public static void FakeQuantize(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, QuantParams p, Span<float> y, IRounding? rounding = null)
    {
        rounding ??= Nearest.Instance;
        CheckLengths(x.Length, y.Length, shape, p);
        Span<float> scaled = stackalloc float[Chunk];
        Span<int> codes = stackalloc int[Chunk];
        foreach (var run in ParamLayout.Runs(shape, p.Granularity))
            for (int off = 0; off < run.Length; off += Chunk)
            {
                int n = Math.Min(Chunk, run.Length - off), start = run.Start + off, param = run.Param + off * run.Step;
                EncodeChunk(x.Slice(start, n), codes[..n], p, param, run.Step, rounding, start, scaled);
                DecodeRun(codes[..n], y.Slice(start, n), p, param, run.Step);
            }
    }

    /// <summary>A tensor of the format's ONNX storage type (what QuantizeLinear returns).</summary>
    public static Tensor Quantize(Tensor x, QuantParams p, IRounding? rounding = null)
    {
        var dtype = p.Format.OnnxType ?? throw new NotSupportedException($"{p.Format.Name} has no ONNX element type");
        var codes = ArrayPool<int>.Shared.Rent(x.Length);
        try
        {
            Quantize(Floats(x), x.Shape, p, codes.AsSpan(0, x.Length), rounding);
            return CodeStorage.ToTensor(codes.AsSpan(0, x.Length), dtype, x.Shape);
        }
        finally { ArrayPool<int>.Shared.Return(codes); }
    }

    /// <summary>A float32 tensor (what DequantizeLinear returns).</summary>
    public static Tensor Dequantize(Tensor q, QuantParams p)
    {
        var y = Tensor.Empty(DType.Float32, q.Shape);
        Dequantize(CodeStorage.FromTensor(q), q.Shape, p, y.AsSpan<float>());
        return y;
    }

    /// <summary>A float32 tensor of fake-quantized values.</summary>
    public static Tensor FakeQuantize(Tensor x, QuantParams p, IRounding? rounding = null)
    {
        var y = Tensor.Empty(DType.Float32, x.Shape);
        FakeQuantize(Floats(x), x.Shape, p, y.AsSpan<float>(), rounding);
        return y;
    }

    private static ReadOnlySpan<float> Floats(Tensor x) => x.DType == DType.Float32 ? x.AsReadOnlySpan<float>() : x.ToFloatArray();

    private static void CheckLengths(int inLength, int outLength, ReadOnlySpan<int> shape, QuantParams p)
    {
        long n = Tensor.ElementCount(shape);
        if (inLength != n) throw new ArgumentException($"{inLength} values do not match shape [{string.Join(",", shape.ToArray())}]");
        if (outLength < n) throw new ArgumentException($"output of {outLength} elements is shorter than {n}");
        p.CheckFits(shape);
    }

    private static void EncodeChunk(ReadOnlySpan<float> x, Span<int> codes, QuantParams p, int param, int step,
        IRounding rounding, int index, Span<float> scaled)
    {
        var t = scaled[..x.Length];
        if (step == 0)
        {
            TensorPrimitives.Divide(x, p.Scales[param], t);
            p.Format.Encode(t, p.ZeroPoints[param], codes, rounding, index);
            return;
        }
        TensorPrimitives.Divide(x, p.Scales.AsSpan(param, x.Length), t);
        var zs = p.ZeroPoints.AsSpan(param, x.Length);
        if (zs.IndexOfAnyExcept(zs[0]) < 0)
        {
            p.Format.Encode(t, zs[0], codes, rounding, index);
            return;
        }
        for (int i = 0; i < x.Length; i++) p.Format.Encode(t.Slice(i, 1), zs[i], codes.Slice(i, 1), rounding, index + i);
    }

    private static void DecodeRun(ReadOnlySpan<int> codes, Span<float> y, QuantParams p, int param, int step)
    {
        var format = p.Format;
        if (format.IntegerRange is null)
        {
            for (int i = 0; i < codes.Length; i++)
            {
                int k = param + i * step;
                y[i] = (format.Decode(codes[i]) - p.ZeroPoints[k]) * p.Scales[k];
            }
            return;
        }
        // Integer grids: codes are the values, y = float(q − z)·s (exact int → float below 2^24, one rounding in ·s).
        Span<int> d = stackalloc int[Chunk];
        for (int start = 0; start < codes.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, codes.Length - start), k = param + start * step;
            var q = codes.Slice(start, n);
            var dst = y.Slice(start, n);
            if (step == 0) TensorPrimitives.Subtract(q, p.ZeroPoints[k], d[..n]);
            else TensorPrimitives.Subtract(q, p.ZeroPoints.AsSpan(k, n), d[..n]);
            TensorPrimitives.ConvertTruncating<int, float>(d[..n], dst);
            if (step == 0) TensorPrimitives.Multiply(dst, p.Scales[k], dst);
            else TensorPrimitives.Multiply(dst, p.Scales.AsSpan(k, n), dst);
        }
    }
}
