using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;
using LowBit.Tests.Quantization;

namespace LowBit.Tests.Formats;

/// <summary>FP4 E2M1 (OCP MX 1.0 element): the 15-value grid, nibble codes, packed float4e2m1 storage.</summary>
public class Fp4E2M1Tests
{
    [Fact]
    public void Grid_IsTheOcpE2M1Values()
    {
        var f = FormatTable.Get("fp4");
        Assert.Equal([-6f, -4f, -3f, -2f, -1.5f, -1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f], f.Grid);
        Assert.Equal(DType.Float4E2M1, f.OnnxType);
        Assert.Equal(4, f.BitsPerWeight);
        // code = [s | e e | m]: 0x1 = 0.5 (subnormal), 0x2 = 1, 0x7 = 6, 0x8 = −0, 0xF = −6.
        Assert.Equal([0.5f, 1f, 6f, 0f, -6f, -1.5f], new[] { 0x1, 0x2, 0x7, 0x8, 0xF, 0xB }.Select(f.Decode));
    }

    [Fact]
    public void Encode_Midpoints_TieToEvenMantissa()
    {
        // 0.25 between 0 (0x0) and 0.5 (0x1) → 0; 0.75 → 1 (0x2); 1.25 → 1 (0x2); 1.75 → 2 (0x4); 2.5 → 2 (0x4);
        // 3.5 → 4 (0x6); 5 → 4 (0x6); negative ties mirror with the sign bit, and −0.25 gives +0.
        var f = FormatTable.Get("fp4");
        float[] x = [0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5f, -0.25f, -0.75f, -5f, 7f, -100f];
        var codes = new int[x.Length];
        f.Encode(x, 0, codes, Nearest.Instance, 0);
        Assert.Equal([0x0, 0x2, 0x2, 0x4, 0x4, 0x6, 0x6, 0x0, 0xA, 0xE, 0x7, 0xF], codes);
    }

    [Fact]
    public void Quantize_OddLengthToFloat4Tensor_RoundTripsPackedNibbles()
    {
        var f = FormatTable.Get("fp4");
        var x = Distributions.Normal(3 * 33, 6);  // 99 codes: the last byte holds one nibble
        var shape = new[] { 3, 33 };
        var p = Affine.ChooseFromData(x, shape, f, QuantScheme.Symmetric, new PerChannel(0));
        var q = Affine.Quantize(Tensor.FromArray(x, shape), p);
        Assert.Equal(DType.Float4E2M1, q.DType);
        var codes = new int[x.Length];
        Affine.Quantize(x, shape, p, codes);
        Assert.Equal(codes, CodeStorage.FromTensor(q));
        var bytes = q.AsSpan<byte>().ToArray();
        Assert.Equal(50, bytes.Length);
        Assert.Equal(codes[0] | codes[1] << 4, bytes[0]);  // element 2k in the low nibble of byte k
        Assert.Equal(codes[98], bytes[49]);                 // odd tail: high nibble 0
        var y = new float[x.Length];
        Affine.Dequantize(codes, shape, p, y);
        Assert.Equal(y, Affine.Dequantize(q, p).ToFloatArray());
    }
}
