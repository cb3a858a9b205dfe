using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// DFT and STFT. Signals carry a trailing complex axis of size 1 (real) or 2 (re, im); outputs are always complex
/// ([…, 2]). Forward X[k] = Σⱼ x[j]·e^(−2πi·jk/N); inverse x[j] = (1/N)·Σₖ X[k]·e^(+2πi·jk/N). onesided keeps the
/// ⌊N/2⌋+1 non-redundant bins of a real signal's spectrum (X[N−k] = conj X[k]). Transforms run in float64
/// (<see cref="Fourier"/>) and round once to the input's dtype.
/// </summary>
internal static class SignalOps
{
    /// <summary>Opset 17–19: axis is an attribute (default 1, the first axis after the batch).</summary>
    [Op("DFT", 17)]
    public static Tensor DftV17(Tensor input, Tensor? dft_length = null, long axis = 1, long inverse = 0, long onesided = 0) =>
        Dft(input, dft_length, axis, inverse, onesided);

    /// <summary>Opset 20: axis is an optional scalar input (default −2, the last signal axis).</summary>
    [Op("DFT", 20)]
    public static Tensor Dft(Tensor input, Tensor? dft_length = null, Tensor? axis = null, long inverse = 0, long onesided = 0) =>
        Dft(input, dft_length, axis is null ? -2 : FloatBuffers.ScalarInt(axis, "DFT: axis"), inverse, onesided);

    private static Tensor Dft(Tensor input, Tensor? dftLength, long axis, long inverse, long onesided)
    {
        int r = input.Rank;
        if (r < 2 || input.Shape[^1] is not (1 or 2))
            throw new ArgumentException($"DFT: input must be [batch, ..., 1 or 2] (real or complex), got {input.ShapeString}");
        if (axis < -r || axis > r - 2 || axis == -1)
            throw new ArgumentException($"DFT: axis {axis} is out of range for rank {r} (the last axis holds re/im)");
        int a = (int)(axis < 0 ? axis + r : axis);
        bool complex = input.Shape[^1] == 2;
        CheckFlags("DFT", inverse, onesided, complex);
        int nIn = input.Shape[a];
        long nl = dftLength is null ? nIn : FloatBuffers.ScalarInt(dftLength, "DFT: dft_length");
        if (nl < 1) throw new ArgumentException($"DFT: dft_length {nl} must be ≥ 1");
        var outDims = input.Shape.Select(d => (long)d).ToArray();
        int n = ShapeArgs.Dims([nl], "DFT")[0];
        int bins = onesided == 1 ? n / 2 + 1 : n;
        outDims[a] = bins;
        outDims[^1] = 2;
        var outShape = ShapeArgs.Dims(outDims, "DFT");

        var x = FloatBuffers.Read(input, "DFT: input");
        var y = new double[outShape.Aggregate(1, (p, d) => p * d)];
        int outer = ShapeArgs.Product(input.Shape, 0, a), inner = ShapeArgs.Product(input.Shape, a + 1, r - 1);
        int c = input.Shape[^1], take = Math.Min(nIn, n);
        double scale = inverse == 1 ? 1.0 / n : 1.0;
        // Each (outer, inner) line is one transform: input element j at ((o·nIn + j)·inner + i)·c, output bin k at
        // ((o·bins + k)·inner + i)·2.
        Parallelism.ForRange(outer * inner, Math.Max(1, 4096 / n), (start, end) =>
        {
            var plan = new Fourier(n, inverse == 1);
            var re = new double[n];
            var im = new double[n];
            for (int line = start; line < end; line++)
            {
                int o = line / inner, i = line % inner;
                Array.Clear(re);
                Array.Clear(im);
                for (int j = 0; j < take; j++)
                {
                    long src = ((long)(o * nIn + j) * inner + i) * c;
                    re[j] = x[src];
                    if (complex) im[j] = x[src + 1];
                }
                plan.Transform(re, im);
                for (int k = 0; k < bins; k++)
                {
                    long dst = ((long)(o * bins + k) * inner + i) * 2;
                    y[dst] = re[k] * scale;
                    y[dst + 1] = im[k] * scale;
                }
            }
        });
        return FloatBuffers.Write(y, input.DType, outShape);
    }

    /// <summary>
    /// Short-time Fourier transform of signal [batch, length, 1|2] (or [batch, length]): frame f covers samples
    /// [f·step, f·step + L), is multiplied by the window (if any) and transformed; frames = 1 + ⌊(length − L)/step⌋.
    /// L is frame_length, or the window's length when frame_length is absent (both given must agree).
    /// Output [batch, frames, bins, 2] with bins = ⌊L/2⌋+1 when onesided, else L.
    /// </summary>
    [Op("STFT", 17)]
    public static Tensor Stft(Tensor signal, Tensor frame_step, Tensor? window = null, Tensor? frame_length = null, long onesided = 1)
    {
        if (signal.Rank is not (2 or 3) || (signal.Rank == 3 && signal.Shape[2] is not (1 or 2)))
            throw new ArgumentException($"STFT: signal must be [batch, length, 1 or 2], got {signal.ShapeString}");
        bool complex = signal.Rank == 3 && signal.Shape[2] == 2;
        CheckFlags("STFT", 0, onesided, complex);
        long step = FloatBuffers.ScalarInt(frame_step, "STFT: frame_step");
        if (step < 1) throw new ArgumentException($"STFT: frame_step {step} must be ≥ 1");
        if (window is not null && window.Rank != 1) throw new ArgumentException($"STFT: window must be 1-D, got {window.ShapeString}");
        long len = frame_length is not null ? FloatBuffers.ScalarInt(frame_length, "STFT: frame_length")
            : window is not null ? window.Length : throw new ArgumentException("STFT: give a window or a frame_length");
        if (window is not null && window.Length != len)
            throw new ArgumentException($"STFT: window has {window.Length} samples but frame_length is {len}");
        int batch = signal.Shape[0], length = signal.Shape[1], c = complex ? 2 : 1;
        if (len < 1 || len > length) throw new ArgumentException($"STFT: frame_length {len} must be in [1, {length}] (the signal length)");
        int l = (int)len, frames = (int)(1 + (length - len) / step), bins = onesided == 1 ? l / 2 + 1 : l;
        var outShape = ShapeArgs.Dims([batch, frames, bins, 2], "STFT");
        var x = FloatBuffers.Read(signal, "STFT: signal");
        var w = window is null ? null : FloatBuffers.Read(window, "STFT: window");
        var y = new double[(long)batch * frames * bins * 2];
        Parallelism.ForRange(batch * frames, Math.Max(1, 4096 / l), (start, end) =>
        {
            var plan = new Fourier(l, inverse: false);
            var re = new double[l];
            var im = new double[l];
            for (int bf = start; bf < end; bf++)
            {
                int b = bf / frames, f = bf % frames;
                long src = ((long)b * length + (long)f * step) * c;
                for (int j = 0; j < l; j++)
                {
                    double g = w is null ? 1 : w[j];
                    re[j] = x[src + (long)j * c] * g;
                    im[j] = complex ? x[src + (long)j * c + 1] * g : 0;
                }
                plan.Transform(re, im);
                long dst = (long)bf * bins * 2;
                for (int k = 0; k < bins; k++)
                {
                    y[dst + 2 * k] = re[k];
                    y[dst + 2 * k + 1] = im[k];
                }
            }
        });
        return FloatBuffers.Write(y, signal.DType, outShape);
    }

    /// <summary>onesided needs a real signal (a complex spectrum has no conjugate symmetry), and an inverse of a one-sided
    /// spectrum (an inverse real FFT) is not defined by the spec's output shape rule, so it is refused.</summary>
    private static void CheckFlags(string op, long inverse, long onesided, bool complex)
    {
        if (inverse is not (0 or 1)) throw new ArgumentException($"{op}: inverse must be 0 or 1, got {inverse}");
        if (onesided is not (0 or 1)) throw new ArgumentException($"{op}: onesided must be 0 or 1, got {onesided}");
        if (onesided == 1 && complex) throw new ArgumentException($"{op}: onesided=1 needs a real signal (last dim 1), the input is complex");
        if (onesided == 1 && inverse == 1) throw new ArgumentException($"{op}: onesided=1 with inverse=1 is not supported (give the full spectrum)");
    }
}
