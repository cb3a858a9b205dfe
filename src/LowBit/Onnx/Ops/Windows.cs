using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Generalized cosine windows (opset 17): w[n] = Σₖ (−1)ᵏ·aₖ·cos(2πkn/N) for n in [0, size), with N = size when
/// periodic (the window of an (N+1)-point symmetric window minus its last sample, what an STFT wants) and N = size − 1
/// when symmetric. Hann a = (½, ½); Hamming a = (25/46, 21/46) (the exact-zero-first-sidelobe choice of the spec,
/// not 0.54/0.46); Blackman a = (0.42, 0.5, 0.08). A symmetric window of size 1 has N = 0 and is [1] (as numpy's).
/// </summary>
internal static class WindowOps
{
    private static readonly double[] HannA = [0.5, 0.5];
    private static readonly double[] HammingA = [25.0 / 46, 21.0 / 46];
    private static readonly double[] BlackmanA = [0.42, 0.5, 0.08];

    [Op("HannWindow", 17)]
    public static Tensor HannWindow(Tensor size, long output_datatype = 1, long periodic = 1) =>
        Window("HannWindow", HannA, size, output_datatype, periodic);

    [Op("HammingWindow", 17)]
    public static Tensor HammingWindow(Tensor size, long output_datatype = 1, long periodic = 1) =>
        Window("HammingWindow", HammingA, size, output_datatype, periodic);

    [Op("BlackmanWindow", 17)]
    public static Tensor BlackmanWindow(Tensor size, long output_datatype = 1, long periodic = 1) =>
        Window("BlackmanWindow", BlackmanA, size, output_datatype, periodic);

    /// <summary>The window's samples in float64.</summary>
    private static double[] Samples(double[] a, int size, bool periodic)
    {
        var w = new double[size];
        long n = periodic ? size : size - 1;
        for (int i = 0; i < size; i++)
        {
            if (n == 0) { w[i] = 1; continue; }
            double s = 0;
            for (int k = 0; k < a.Length; k++)
            {
                // cos(2π·k·i/N) from the reduced angle (k·i mod N)/N keeps full precision for large windows.
                double phase = (double)((long)k * i % n) / n;
                s += ((k & 1) == 0 ? a[k] : -a[k]) * Math.Cos(2 * Math.PI * phase);
            }
            w[i] = s;
        }
        return w;
    }

    private static Tensor Window(string op, double[] a, Tensor size, long outputType, long periodic)
    {
        long n = FloatBuffers.ScalarInt(size, $"{op}: size");
        if (n < 0) throw new ArgumentException($"{op}: size {n} is negative");
        if (periodic is not (0 or 1)) throw new ArgumentException($"{op}: periodic must be 0 or 1, got {periodic}");
        var dtype = FloatBuffers.OutputType(outputType, op);
        var shape = ShapeArgs.Dims([n], op);
        return FloatBuffers.Write(Samples(a, shape[0], periodic == 1), dtype, shape);
    }
}
