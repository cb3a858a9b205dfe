using LowBit.Onnx.Ops;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// The input vectors x of a <see cref="LinearLayer"/>: one per output position. MatMul/Gemm: position p is row p of the
/// input flattened to [P, K]. Conv: position p = (n, spatial output index), x = the receptive field of the group's input
/// channels in W's order (channel-major, then kernel offsets row-major), zero where it falls into padding (im2col).
/// </summary>
internal sealed class Patches
{
    private readonly LinearLayer layer;
    private readonly float[] x;
    private readonly int[] inShape;
    private readonly WindowSpec? window;
    private readonly int channelsPerGroup;

    /// <summary>Number of output positions.</summary>
    public int Positions { get; }

    public Patches(LinearLayer layer, Tensor input)
    {
        this.layer = layer;
        x = input.DType == DType.Float32 ? input.AsReadOnlySpan<float>().ToArray() : input.ToFloatArray();
        inShape = input.Shape;
        if (layer.Node.OpType == "Conv")
        {
            var n = layer.Node;
            var kernel = layer.WeightShape[2..];
            window = WindowSpec.Forward(inShape[2..], kernel, n.Get<string>("auto_pad") ?? "NOTSET", n.Get<long[]>("dilations"), n.Get<long[]>("pads"), n.Get<long[]>("strides"));
            channelsPerGroup = inShape[1] / layer.Groups;
            Positions = inShape[0] * window.OutputSize;
        }
        else
        {
            int k = inShape[^1];
            if (k != layer.Cols) throw new LowBitException(ErrorKind.InvalidModel, $"{layer.Key}: input '{layer.Input}' has {k} features, the weight expects {layer.Cols}");
            Positions = (int)(x.LongLength / k);
        }
    }

    /// <summary>Writes x of position <paramref name="p"/> for group <paramref name="group"/> into <paramref name="dst"/> (length Cols).</summary>
    public void Extract(int p, int group, Span<float> dst)
    {
        if (window is null)
        {
            x.AsSpan(p * layer.Cols, layer.Cols).CopyTo(dst);
            return;
        }
        var w = window;
        int outSize = w.OutputSize, inSize = w.InputSize, rank = w.Rank, kSize = w.KernelSize;
        int n = p / outSize, o = p % outSize;
        Span<int> outIdx = stackalloc int[rank];
        Span<int> kIdx = stackalloc int[rank];
        for (int d = rank - 1, r = o; d >= 0; d--) { outIdx[d] = r % w.Output[d]; r /= w.Output[d]; }
        int c0 = group * channelsPerGroup;
        for (int kk = 0; kk < kSize; kk++)
        {
            for (int d = rank - 1, r = kk; d >= 0; d--) { kIdx[d] = r % w.Kernel[d]; r /= w.Kernel[d]; }
            int flat = 0;
            bool inside = true;
            for (int d = 0; d < rank; d++)
            {
                int i = outIdx[d] * w.Strides[d] - w.PadBegin[d] + kIdx[d] * w.Dilations[d];
                if (i < 0 || i >= w.Input[d]) { inside = false; break; }
                flat = flat * w.Input[d] + i;
            }
            for (int c = 0; c < channelsPerGroup; c++)
                dst[c * kSize + kk] = inside ? x[((long)n * inShape[1] + c0 + c) * inSize + flat] : 0f;
        }
    }

    /// <summary>The rows of <paramref name="positions"/> for one group as a [positions.Length, Cols] matrix.</summary>
    public float[] Gather(ReadOnlySpan<int> positions, int group)
    {
        var m = new float[positions.Length * layer.Cols];
        for (int i = 0; i < positions.Length; i++) Extract(positions[i], group, m.AsSpan(i * layer.Cols, layer.Cols));
        return m;
    }
}
