using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Rounding;

namespace LowBit.Tests.Quantization;

/// <summary>Quantize/dequantize over granularities against a naive per-element reference written from the ONNX formula
/// q = clamp(round_half_even(x / s) + z), y = (q − z)·s with the parameter index computed from the multi-index.</summary>
public class AffineQuantizeTests
{
    private static readonly IntFormat Int8 = new(8, true), UInt8 = new(8, false), Int4 = new(4, true);

    private static int ParamIndex(int flat, int[] shape, Granularity g)
    {
        var idx = AffineTests.Index(flat, shape);
        switch (g)
        {
            case PerTensor: return 0;
            case PerChannel c: return idx[Granularity.ResolveAxis(c.Axis, shape.Length)];
            case PerGroup b:
                int ax = Granularity.ResolveAxis(b.Axis, shape.Length);
                var sshape = QuantParams.ScaleShapeFor(shape, g);
                idx[ax] /= b.BlockSize;
                int p = 0;
                for (int d = 0; d < shape.Length; d++) p = p * sshape[d] + idx[d];
                return p;
            default: throw new NotSupportedException();
        }
    }

    private static (int[] Codes, float[] Values) Reference(float[] x, int[] shape, QuantParams p)
    {
        var (qmin, qmax) = p.Format.IntegerRange!.Value;
        var codes = new int[x.Length];
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int k = ParamIndex(i, shape, p.Granularity);
            float s = p.Scales[k];
            int z = p.ZeroPoints[k];
            codes[i] = (int)Math.Clamp(MathF.Round(x[i] / s, MidpointRounding.ToEven) + (long)z, qmin, qmax);
            y[i] = (codes[i] - z) * s;
        }
        return (codes, y);
    }

    public static TheoryData<int[], Granularity> Layouts() => new()
    {
        { [7, 5], PerTensor.Instance },
        { [4, 6, 5], new PerChannel(0) },
        { [4, 6, 5], new PerChannel(1) },
        { [4, 6, 5], new PerChannel(2) },
        { [4, 6, 5], new PerChannel(-2) },
        { [40, 3], new PerGroup(0, 16) },        // MatMul [K, N] weights, blocks along K with a tail of 8
        { [3, 40], new PerGroup(1, 16) },        // blocks along the last axis (contiguous)
        { [2, 37, 3], new PerGroup(-2, 16) },    // middle axis, tail of 5
        { [5, 2000], new PerGroup(1, 256) },     // longer than one inner chunk
        { [3000], new PerChannel(0) },
        { [2, 3000], PerTensor.Instance },
    };

    [Theory, MemberData(nameof(Layouts))]
    public void Quantize_AnyGranularity_MatchesNaiveReference(int[] shape, Granularity g)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var r = new Random(n);
        var x = Distributions.Normal(n, n);
        foreach (var scheme in new[] { QuantScheme.Asymmetric, QuantScheme.Symmetric })
        {
            // random per-slot ranges, so every slot has its own (s, z)
            int slots = QuantParams.ScaleShapeFor(shape, g).Aggregate(1, (a, b) => a * b);
            var mins = Enumerable.Range(0, slots).Select(_ => (float)(-3 * r.NextDouble())).ToArray();
            var maxs = Enumerable.Range(0, slots).Select(_ => (float)(3 * r.NextDouble())).ToArray();
            var p = Affine.Choose(UInt8, scheme, g, QuantParams.ScaleShapeFor(shape, g), mins, maxs);
            var (refCodes, refValues) = Reference(x, shape, p);
            var codes = new int[n];
            Affine.Quantize(x, shape, p, codes);
            Assert.Equal(refCodes, codes);
            var y = new float[n];
            Affine.Dequantize(codes, shape, p, y);
            Assert.Equal(refValues, y);
            var fq = (float[])x.Clone();
            Affine.FakeQuantize(fq, shape, p, fq);  // in place
            Assert.Equal(refValues, fq);
        }
    }

    [Fact]
    public void Quantize_Ties_RoundHalfToEvenBeforeZeroPoint()
    {
        var p = QuantParams.Scalar(UInt8, 0.5f, 1);
        float[] x = [0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 1.75f];  // x/s = 0.5, 1.5, 2.5, −0.5, −1.5, 3.5
        var codes = new int[x.Length];
        Affine.Quantize(x, [x.Length], p, codes);
        Assert.Equal([1, 3, 3, 1, 0, 5], codes);
    }

    [Fact]
    public void Quantize_Zero_IsExactForEveryZeroPoint()
    {
        for (int z = -128; z <= 127; z++)
        {
            var p = QuantParams.Scalar(Int8, 0.037f, z);
            var y = new float[1];
            Affine.FakeQuantize([0f], [1], p, y);
            Assert.Equal(0f, y[0]);
        }
    }

    [Fact]
    public void Quantize_CustomRounding_IsUsedWithFlatIndices()
    {
        var shape = new[] { 3, 40 };
        var x = Enumerable.Repeat(0.3f, 120).ToArray();
        var p = Affine.Choose(Int4, QuantScheme.Symmetric, new PerGroup(1, 16), [3, 3],
            Enumerable.Repeat(-1f, 9).ToArray(), Enumerable.Repeat(1f, 9).ToArray());
        var codes = new int[120];
        var up = new RecordingCeiling();
        Affine.Quantize(x, shape, p, codes, up);
        Assert.All(codes, c => Assert.Equal(3, c));  // s = 1/7: 0.3·7 = 2.1 → ceiling 3 (nearest would give 2)
        Assert.Equal(Enumerable.Range(0, 120), up.Seen.Order());
        Affine.Quantize(x, shape, p, codes);
        Assert.All(codes, c => Assert.Equal(2, c));
    }

    [Fact]
    public void Quantize_ShapeMismatch_Throws()
    {
        var p = new QuantParams(Int8, new PerChannel(0), [1f, 1f], [0, 0]);
        Assert.Throws<ArgumentException>(() => Affine.Quantize(new float[6], [3, 2], p, new int[6]));
        Assert.Throws<ArgumentException>(() => Affine.Quantize(new float[5], [2, 3], p, new int[6]));
    }

    [Fact]
    public void Dequantize_Tensor_RoundTripsFromOnnxStorage()
    {
        var x = LowBit.Tensors.Tensor.FromArray(Distributions.Normal(64, 5), 4, 16);
        var p = Affine.ChooseFromData(x.AsReadOnlySpan<float>(), x.Shape, Int4, QuantScheme.Symmetric, new PerGroup(1, 16));
        var q = Affine.Quantize(x, p);
        Assert.Equal(LowBit.Tensors.DType.Int4, q.DType);
        Assert.Equal(Affine.FakeQuantize(x, p).ToFloatArray(), Affine.Dequantize(q, p).ToFloatArray());
    }

    private sealed class RecordingCeiling : IRounding
    {
        public List<int> Seen { get; } = new();

        public void Round(ReadOnlySpan<float> t, Span<int> result, int firstIndex)
        {
            for (int i = 0; i < t.Length; i++)
            {
                result[i] = (int)MathF.Ceiling(t[i]);
                Seen.Add(firstIndex + i);
            }
        }
    }
}
