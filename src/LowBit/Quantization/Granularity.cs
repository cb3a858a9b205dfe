namespace LowBit.Quantization;

/// <summary>Which elements share one (scale, zero point). Axes may be negative (counted from the end, as ONNX).</summary>
public abstract record Granularity
{
    private protected Granularity() { }

    /// <summary><paramref name="axis"/> as a non-negative axis of a rank-<paramref name="rank"/> tensor.</summary>
    public static int ResolveAxis(int axis, int rank) =>
        axis >= -rank && axis < rank ? (axis < 0 ? axis + rank : axis)
            : throw new ArgumentOutOfRangeException(nameof(axis), axis, $"axis {axis} is out of range for a rank-{rank} tensor");
}

/// <summary>One scale and zero point for the whole tensor (ONNX: scalar y_scale).</summary>
public sealed record PerTensor : Granularity
{
    public static PerTensor Instance { get; } = new();
    public override string ToString() => "per-tensor";
}

/// <summary>One scale and zero point per index along <see cref="Axis"/> (ONNX per-axis: 1-D y_scale of that dimension);
/// weights use the output-channel axis (0 for Conv [M, C, kH, kW], 1 for MatMul [K, N]).</summary>
public sealed record PerChannel(int Axis) : Granularity
{
    public override string ToString() => $"per-channel(axis {Axis})";
}

/// <summary>
/// Blocks of <see cref="BlockSize"/> consecutive elements along <see cref="Axis"/> (the reduction axis: K of MatMul [K, N]
/// is axis 0) share one scale (ONNX blocked quantization, opset 21: y_scale has x's rank with
/// dim[axis] = ⌈K / BlockSize⌉; the last block of an axis whose length is not a multiple is shorter).
/// </summary>
public sealed record PerGroup : Granularity
{
    public const int MinBlockSize = 16, MaxBlockSize = 256;

    public int Axis { get; }
    public int BlockSize { get; }

    public PerGroup(int axis, int blockSize)
    {
        if (blockSize < MinBlockSize || blockSize > MaxBlockSize)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"group size must be in [{MinBlockSize}, {MaxBlockSize}]");
        Axis = axis;
        BlockSize = blockSize;
    }

    public override string ToString() => $"per-group(axis {Axis}, block {BlockSize})";
}
