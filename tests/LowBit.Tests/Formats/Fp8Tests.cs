using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;
using LowBit.Tests.Quantization;

namespace LowBit.Tests.Formats;

/// <summary>FP8 E4M3FN and E5M2 layouts (OCP OFP8 1.0): grid extent, sizes, bit patterns, ONNX storage.</summary>
public class Fp8Tests
{
    [Theory]
    // name, ONNX type, finite values (±0 once), max, smallest subnormal, smallest normal, code of max, code of 1.0
    [InlineData("fp8-e4m3", DType.Float8E4M3FN, 253, 448f, 0.001953125f, 0.015625f, 0x7E, 0x38)]
    [InlineData("fp8-e5m2", DType.Float8E5M2, 247, 57344f, 1.52587890625e-05f, 6.103515625e-05f, 0x7B, 0x3C)]
    public void Grid_Layout_MatchesOcpSpec(string name, DType type, int count, float max, float minSub, float minNormal, int maxCode, int oneCode)
    {
        var f = FormatTable.Get(name);
        Assert.Equal(type, f.OnnxType);
        Assert.Equal(8, f.BitsPerWeight);
        Assert.True(f.IsSigned);
        Assert.Equal(count, f.Grid.Count);
        Assert.Equal(max, f.Grid[^1]);
        Assert.Equal(-max, f.Grid[0]);
        Assert.Equal(minSub, f.Grid.Where(g => g > 0).Min());
        Assert.Contains(minNormal, f.Grid);
        Assert.Equal(minNormal - minSub, f.Grid.Last(g => g < minNormal));  // largest subnormal
        var codes = new int[4];
        f.Encode([max, -max, 1f, -1f], 0, codes, Nearest.Instance, 0);
        Assert.Equal([maxCode, 0x80 | maxCode, oneCode, 0x80 | oneCode], codes);
    }

    [Theory]
    [InlineData("fp8-e4m3", 0x7F)]
    [InlineData("fp8-e4m3", 0xFF)]
    [InlineData("fp8-e5m2", 0x7C)]  // +∞
    [InlineData("fp8-e5m2", 0xFC)]  // −∞
    [InlineData("fp8-e5m2", 0x7F)]  // NaN
    public void Decode_NaNOrInfinityPattern_Throws(string name, int code) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FormatTable.Get(name).Decode(code));

    [Theory]
    [InlineData("fp8-e4m3")]
    [InlineData("fp8-e5m2")]
    public void Quantize_PerChannelToFloat8Tensor_RoundTripsThroughCodeStorage(string name)
    {
        var f = FormatTable.Get(name);
        var x = Distributions.Normal(6 * 50, 5);
        var shape = new[] { 6, 50 };
        var p = Affine.ChooseFromData(x, shape, f, QuantScheme.Symmetric, new PerChannel(0));
        var q = Affine.Quantize(Tensor.FromArray(x, shape), p);
        Assert.Equal(f.OnnxType, q.DType);
        var codes = new int[x.Length];
        Affine.Quantize(x, shape, p, codes);
        Assert.Equal(codes, CodeStorage.FromTensor(q));
        Assert.Equal(codes, CodeStorage.FromTensor(CodeStorage.ToTensor(codes, f.OnnxType!.Value, shape)));
        // The stored bytes are the float8 bit patterns: Float8.ToFloat reads back the grid values.
        var bytes = q.AsSpan<byte>().ToArray();
        for (int i = 0; i < x.Length; i++) Assert.Equal(f.Decode(codes[i]), Float8.ToFloat(f.OnnxType.Value, bytes[i]));
        // Each channel's absmax lands exactly on ±max (symmetric absmax scale).
        var y = Affine.Dequantize(q, p).ToFloatArray();
        for (int c = 0; c < 6; c++)
        {
            var row = x.AsSpan(c * 50, 50).ToArray();
            int k = Array.IndexOf(row, row.MaxBy(MathF.Abs));
            // s = absmax/max and y = max·s each round once in float32: relative error ≤ 2⁻²³.
            Assert.True(Math.Abs(row[k] - y[c * 50 + k]) <= Math.Abs(row[k]) * 2.4e-7, $"{name} channel {c}: {row[k]} came back as {y[c * 50 + k]}");
        }
    }
}
