namespace LowBit.Kernels.Conv;

/// <summary>
/// Geometry of one 2-D convolution image seen as a GEMM operand (im2col): the input is [Channels, Height, Width]
/// row-major, row k = (c·KernelH + kh)·KernelW + kw and column n = oh·OutW + ow of the K×N matrix hold
/// <c>x[c, oh·StrideH − PadTop + kh·DilationH, ow·StrideW − PadLeft + kw·DilationW]</c>, zero outside the image.
/// End padding is implied by OutH/OutW.
/// </summary>
public readonly record struct Conv2DShape(
    int Channels, int Height, int Width,
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadTop, int PadLeft,
    int DilationH, int DilationW,
    int OutH, int OutW)
{
    /// <summary>Rows of the im2col matrix: Channels·KernelH·KernelW.</summary>
    public int K => Channels * KernelH * KernelW;
    /// <summary>Columns of the im2col matrix: OutH·OutW.</summary>
    public int N => OutH * OutW;
    public int InputLength => Channels * Height * Width;

    /// <summary>1×1, stride 1, no padding: the im2col matrix is the input itself ([Channels, Height·Width]).</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 && PadLeft == 0
        && OutH == Height && OutW == Width;

    /// <summary>Element (k, n) of the im2col matrix (reference path; the blocked path packs panels directly).</summary>
    public float Element(ReadOnlySpan<float> x, int k, int n)
    {
        int kw = k % KernelW, kh = k / KernelW % KernelH, c = k / (KernelW * KernelH);
        int oh = n / OutW, ow = n % OutW;
        int ih = oh * StrideH - PadTop + kh * DilationH, iw = ow * StrideW - PadLeft + kw * DilationW;
        return (uint)ih < (uint)Height && (uint)iw < (uint)Width ? x[(c * Height + ih) * Width + iw] : 0f;
    }

    public void Validate()
    {
        if (Channels < 1 || Height < 0 || Width < 0 || KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1
            || DilationH < 1 || DilationW < 1 || OutH < 0 || OutW < 0)
            throw new ArgumentException($"invalid convolution geometry {this}");
    }
}
