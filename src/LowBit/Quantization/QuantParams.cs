using LowBit.Formats;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>
/// Quantization parameters of one tensor: r = s·(g − z) with g a grid value of <see cref="Format"/>.
/// Invariants (checked in the constructor): every scale is finite and &gt; 0; every zero point lies in [qmin, qmax] of an
/// integer format and is 0 for formats without <see cref="INumberFormat.IntegerRange"/>; the counts match
/// <see cref="ScaleShape"/>. Scales and zero points are row-major in <see cref="ScaleShape"/>, the ONNX
/// y_scale / y_zero_point shape: [] per tensor, [C] per channel, x's shape with dim[axis] = ⌈K/B⌉ per group.
/// </summary>
public sealed class QuantParams
{
    public INumberFormat Format { get; }
    public Granularity Granularity { get; }
    public float[] Scales { get; }
    public int[] ZeroPoints { get; }
    public int[] ScaleShape { get; }

    /// <summary>The axis of per-channel/per-group parameters (as given: may be negative), null per tensor.</summary>
    public int? Axis => Granularity switch { PerChannel c => c.Axis, PerGroup g => g.Axis, _ => null };
    /// <summary>Elements per block along <see cref="Axis"/> (per group only).</summary>
    public int? BlockSize => Granularity is PerGroup g ? g.BlockSize : null;

    public QuantParams(INumberFormat format, Granularity granularity, float[] scales, int[] zeroPoints, int[]? scaleShape = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(granularity);
        if (scales.Length == 0) throw new ArgumentException("at least one scale is needed", nameof(scales));
        if (zeroPoints.Length != scales.Length)
            throw new ArgumentException($"{zeroPoints.Length} zero points for {scales.Length} scales", nameof(zeroPoints));
        ScaleShape = granularity switch
        {
            PerTensor when scales.Length == 1 && (scaleShape is null || Tensor.ElementCount(scaleShape) == 1) => scaleShape ?? [],
            PerTensor => throw new ArgumentException($"per-tensor parameters need one scale, got {scales.Length}"),
            PerChannel when scaleShape is null || scaleShape.SequenceEqual([scales.Length]) => [scales.Length],
            PerChannel => throw new ArgumentException($"per-channel scale shape must be [{scales.Length}]"),
            PerGroup g => CheckGroupShape(g, scaleShape, scales.Length),
            _ => throw new NotSupportedException(granularity.ToString()),
        };
        for (int i = 0; i < scales.Length; i++)
            if (!float.IsFinite(scales[i]) || scales[i] <= 0)
                throw new ArgumentException($"scale {i} is {scales[i]}: scales must be finite and > 0", nameof(scales));
        var range = format.IntegerRange;
        for (int i = 0; i < zeroPoints.Length; i++)
        {
            int z = zeroPoints[i];
            if (range is { } r ? z < r.Min || z > r.Max : z != 0)
                throw new ArgumentException(range is { } rr
                    ? $"zero point {i} is {z}: {format.Name} needs qmin ≤ z ≤ qmax = [{rr.Min}, {rr.Max}]"
                    : $"zero point {i} is {z}: {format.Name} has no zero point (must be 0)", nameof(zeroPoints));
        }
        Format = format;
        Granularity = granularity;
        Scales = scales;
        ZeroPoints = zeroPoints;
    }

    private static int[] CheckGroupShape(PerGroup g, int[]? shape, int count)
    {
        if (shape is null || shape.Length == 0) throw new ArgumentException("per-group parameters need the full-rank scale shape");
        Granularity.ResolveAxis(g.Axis, shape.Length);
        if (Tensor.ElementCount(shape) != count) throw new ArgumentException($"scale shape [{string.Join(",", shape)}] does not hold {count} scales");
        return (int[])shape.Clone();
    }

    /// <summary>Per-tensor parameters.</summary>
    public static QuantParams Scalar(INumberFormat format, float scale, int zeroPoint) =>
        new(format, PerTensor.Instance, [scale], [zeroPoint]);

    /// <summary>The ONNX scale shape for a tensor of <paramref name="shape"/> under <paramref name="granularity"/>.</summary>
    public static int[] ScaleShapeFor(ReadOnlySpan<int> shape, Granularity granularity)
    {
        switch (granularity)
        {
            case PerTensor: return [];
            case PerChannel c: return [shape[Granularity.ResolveAxis(c.Axis, shape.Length)]];
            case PerGroup g:
                int axis = Granularity.ResolveAxis(g.Axis, shape.Length);
                var s = shape.ToArray();
                s[axis] = (s[axis] + g.BlockSize - 1) / g.BlockSize;
                return s;
            default: throw new NotSupportedException(granularity.ToString());
        }
    }

    /// <summary>Throws unless these parameters fit a tensor of <paramref name="shape"/>.</summary>
    public void CheckFits(ReadOnlySpan<int> shape)
    {
        if (Granularity is PerTensor) return;
        if (Granularity is PerGroup && shape.Length != ScaleShape.Length)
            throw new ArgumentException($"per-group parameters of rank {ScaleShape.Length} do not fit a rank-{shape.Length} tensor");
        var want = ScaleShapeFor(shape, Granularity);
        if (!want.AsSpan().SequenceEqual(ScaleShape))
            throw new ArgumentException($"{Granularity} parameters of shape [{string.Join(",", ScaleShape)}] do not fit a tensor of shape [{string.Join(",", shape.ToArray())}]");
    }

    /// <summary>y_scale as an ONNX float32 tensor.</summary>
    public Tensor ScaleTensor() => Tensor.FromArray((float[])Scales.Clone(), ScaleShape);

    /// <summary>y_zero_point in the format's ONNX storage type (its type selects QuantizeLinear's output type).</summary>
    public Tensor ZeroPointTensor() =>
        CodeStorage.ToTensor(ZeroPoints, Format.OnnxType ?? throw new NotSupportedException($"{Format.Name} has no ONNX element type"), ScaleShape);

    public override string ToString() => $"{Format.Name} {Granularity} ({Scales.Length} scale{(Scales.Length == 1 ? "" : "s")})";
}
