using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// DFT and STFT against ONNX Runtime for the attribute combinations the backend node tests miss (dft_length padding
/// and truncation, onesided, complex input, inner axes, opset 20's axis input, windowed frames with hop &lt; length).
/// Tolerance 1e-5 of the output range: ONNX Runtime transforms in float32, LowBit in float64.
/// </summary>
public class SignalTests
{
    private const double Tol = 1e-5;
    private static readonly Tensor Real = RandomTensors.Floats(new Random(3), -1, 1, 2, 12, 5, 1);
    private static readonly Tensor Complex = RandomTensors.Floats(new Random(4), -1, 1, 2, 12, 5, 2);

    private static Tensor[] Dft(Tensor x, long? length, params (string, object)[] attrs) =>
        Check("DFT", 17, [NodeInput.Fed("x", x), length is long l ? NodeInput.Const("n", Tensor.Scalar(l)) : null], [DType.Float32], Tol, attrs);

    [Theory]
    [InlineData(1L, null)]
    [InlineData(1L, 16L)]  // zero-padded to a power of two
    [InlineData(1L, 7L)]   // truncated, odd length
    [InlineData(2L, null)]
    [InlineData(2L, 9L)]
    public void Dft_RealInput_MatchesOnnxRuntime(long axis, long? length) => Dft(Real, length, ("axis", axis));

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(1L, 1L)]
    [InlineData(2L, 1L)]
    public void Dft_ComplexInput_MatchesOnnxRuntime(long axis, long inverse) => Dft(Complex, null, ("axis", axis), ("inverse", inverse));

    [Theory]
    [InlineData(1L, null)]
    [InlineData(1L, 10L)]
    [InlineData(2L, 5L)]
    public void Dft_Onesided_MatchesOnnxRuntime(long axis, long? length)
    {
        var y = Dft(Real, length, ("axis", axis), ("onesided", 1L));
        long n = length ?? Real.Shape[(int)axis];
        Assert.Equal(n / 2 + 1, y[0].Shape[(int)axis]);
    }

    [Theory]
    [InlineData(-2L)]
    [InlineData(1L)]
    public void Dft_Opset20AxisInput_MatchesOnnxRuntime(long axis) =>
        Check("DFT", 20, [NodeInput.Fed("x", Complex), null, NodeInput.Const("axis", Tensor.Scalar(axis))], [DType.Float32], Tol);

    [Fact]
    public void Dft_Float64Input_MatchesOnnxRuntimeInFloat64()
    {
        // Both sides transform in float64 here, so the bound is float64 rounding over 12 terms, not float32's.
        var x = Tensor.Zeros(DType.Float64, Complex.Shape);
        for (int i = 0; i < x.Length; i++) x.SetDouble(i, Complex.GetDouble(i));
        var y = Check("DFT", 17, [NodeInput.Fed("x", x)], [DType.Float64], 1e-9, ("axis", 1L));
        Assert.Equal(DType.Float64, y[0].DType);
    }

    [Fact]
    public void Dft_OnesidedComplexInput_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("DFT", 17, [NodeInput.Fed("x", Complex)], 1, ("onesided", 1L)));
        Assert.Contains("onesided=1 needs a real signal", e.Message);
    }

    [Fact]
    public void Dft_AxisOnComplexDim_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("DFT", 17, [NodeInput.Fed("x", Real)], 1, ("axis", 3L)));
        Assert.Contains("axis 3 is out of range", e.Message);
    }

    [Theory]
    [InlineData(512, 160L, 400, 1L, 1e-4)]   // Whisper-like: 400-sample frames, hop 160, Bluestein length
    [InlineData(300, 64L, 128, 0L, Tol)]
    [InlineData(100, 7L, 16, 1L, Tol)]
    public void Stft_Windowed_MatchesOnnxRuntime(int length, long step, int frame, long onesided, double tol)
    {
        // ONNX Runtime's float32 DFT of a non-power-of-two length (400) is off by ≈ 2.5e-5 of the range; LowBit's float64
        // transform is checked against the direct sum to 1e-9 in FourierTests, so 1e-4 here bounds ONNX Runtime's error.
        var signal = RandomTensors.Floats(new Random(length), -1, 1, 2, length, 1);
        var window = RandomTensors.Floats(new Random(frame), 0, 1, frame);
        var y = Check("STFT", 17, [NodeInput.Fed("s", signal), NodeInput.Const("step", Tensor.Scalar(step)), NodeInput.Const("w", window),
            NodeInput.Const("len", Tensor.Scalar((long)frame))], [DType.Float32], tol, ("onesided", onesided));
        Assert.Equal(new[] { 2, 1 + (length - frame) / (int)step, onesided == 1 ? frame / 2 + 1 : frame, 2 }, y[0].Shape);
    }

    [Fact]
    public void Stft_ComplexSignal_EqualsWindowedFrameDft()
    {
        // Independent reference: frame f of a complex signal, times the window, through the direct DFT sum.
        var signal = RandomTensors.Floats(new Random(8), -1, 1, 1, 40, 2);
        var window = RandomTensors.Floats(new Random(9), 0, 1, 10);
        var y = Ours("STFT", 17, [NodeInput.Fed("s", signal), NodeInput.Const("step", Tensor.Scalar(6L)), NodeInput.Const("w", window)], 1,
            ("onesided", 0L))[0];
        Assert.Equal(new[] { 1, 6, 10, 2 }, y.Shape);
        var s = signal.AsSpan<float>().ToArray();
        var w = window.AsSpan<float>().ToArray();
        for (int f = 0; f < 6; f++)
            for (int k = 0; k < 10; k++)
            {
                double re = 0, im = 0;
                for (int j = 0; j < 10; j++)
                {
                    double a = -2 * Math.PI * j * k / 10, xr = s[2 * (f * 6 + j)] * w[j], xi = s[2 * (f * 6 + j) + 1] * w[j];
                    re += xr * Math.Cos(a) - xi * Math.Sin(a);
                    im += xr * Math.Sin(a) + xi * Math.Cos(a);
                }
                Assert.Equal(re, y.GetDouble((f * 10 + k) * 2), 5);
                Assert.Equal(im, y.GetDouble((f * 10 + k) * 2 + 1), 5);
            }
    }

    [Fact]
    public void Stft_WindowLengthDisagreesWithFrameLength_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("STFT", 17, [NodeInput.Fed("s", Iota(1, 64, 1)), NodeInput.Const("step", Tensor.Scalar(4L)),
            NodeInput.Const("w", Iota(8)), NodeInput.Const("len", Tensor.Scalar(16L))], 1));
        Assert.Contains("window has 8 samples but frame_length is 16", e.Message);
    }
}
