namespace LowBit.Onnx.Ops;

/// <summary>
/// Complex DFT of one length n, in float64: X[k] = Σⱼ x[j]·e^(∓2πi·jk/n) (sign − forward, + inverse; no 1/n scaling).
/// Power-of-two n: iterative radix-2 Cooley–Tukey, O(n log n). Other n: Bluestein's chirp-z identity
/// jk = (j² + k² − (k−j)²)/2 turns the DFT into a circular convolution of length m = 2^⌈log₂(2n−1)⌉ done with
/// radix-2 transforms (Bluestein 1970), so every length is O(n log n) (e.g. Whisper's 400-point frames).
/// Twiddles come from a table indexed by integer phase (jk mod n), never from accumulated angles, so the error does not
/// grow with n. A plan is not thread-safe (it owns its scratch); make one per thread.
/// </summary>
internal sealed class Fourier
{
    private readonly int n;
    private readonly double sign;
    private readonly double[] cos, sin;  // e^(sign·2πi·t/n) = cos[t] + i·sin[t], t in [0, n)
    private readonly Fourier? inner;      // Bluestein: the power-of-two forward transform of length m
    private readonly double[]? chirpRe, chirpIm, kernelRe, kernelIm, workRe, workIm;

    public Fourier(int n, bool inverse)
    {
        if (n < 1) throw new ArgumentException($"DFT length {n} must be ≥ 1");
        this.n = n;
        sign = inverse ? 1 : -1;
        cos = new double[n];
        sin = new double[n];
        for (int t = 0; t < n; t++)
        {
            double a = 2 * Math.PI * t / n;
            cos[t] = Math.Cos(a);
            sin[t] = sign * Math.Sin(a);
        }
        if ((n & (n - 1)) == 0) return;
        int m = 1;
        while (m < 2 * n - 1) m <<= 1;
        inner = new Fourier(m, inverse: false);
        // c[j] = e^(sign·πi·j²/n); j² is reduced mod 2n (the chirp's period) before scaling to an angle.
        chirpRe = new double[n];
        chirpIm = new double[n];
        for (int j = 0; j < n; j++)
        {
            double a = Math.PI * ((long)j * j % (2L * n)) / n;
            chirpRe[j] = Math.Cos(a);
            chirpIm[j] = sign * Math.Sin(a);
        }
        // b[t] = conj(c[|t|]) laid out circularly over m; its transform is fixed for the plan.
        kernelRe = new double[m];
        kernelIm = new double[m];
        for (int j = 0; j < n; j++)
        {
            kernelRe[j] = chirpRe[j];
            kernelIm[j] = -chirpIm[j];
            if (j > 0)
            {
                kernelRe[m - j] = chirpRe[j];
                kernelIm[m - j] = -chirpIm[j];
            }
        }
        inner.Transform(kernelRe, kernelIm);
        workRe = new double[m];
        workIm = new double[m];
    }

    public int Length => n;

    /// <summary>In-place transform of re/im (each of length <see cref="Length"/>).</summary>
    public void Transform(Span<double> re, Span<double> im)
    {
        if (inner is null) Radix2(re, im);
        else Bluestein(re, im);
    }

    private void Radix2(Span<double> re, Span<double> im)
    {
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j |= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int s = 0; s < n; s += len)
                for (int k = 0; k < half; k++)
                {
                    double wr = cos[k * step], wi = sin[k * step];
                    int a = s + k, b = a + half;
                    double tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
        }
    }

    /// <summary>X[k] = c[k]·Σⱼ (x[j]·c[j])·conj(c[k−j]): forward transforms, pointwise product, inverse via conjugation.</summary>
    private void Bluestein(Span<double> re, Span<double> im)
    {
        var wr = workRe!;
        var wi = workIm!;
        int m = wr.Length;
        for (int j = 0; j < n; j++)
        {
            wr[j] = re[j] * chirpRe![j] - im[j] * chirpIm![j];
            wi[j] = re[j] * chirpIm[j] + im[j] * chirpRe[j];
        }
        Array.Clear(wr, n, m - n);
        Array.Clear(wi, n, m - n);
        inner!.Transform(wr, wi);
        // Pointwise product, conjugated so that a second forward transform computes the inverse: IDFT(z) = conj(DFT(conj z))/m.
        for (int t = 0; t < m; t++)
        {
            double pr = wr[t] * kernelRe![t] - wi[t] * kernelIm![t];
            double pi = wr[t] * kernelIm[t] + wi[t] * kernelRe[t];
            wr[t] = pr;
            wi[t] = -pi;
        }
        inner.Transform(wr, wi);
        double scale = 1.0 / m;
        for (int k = 0; k < n; k++)
        {
            double cr = wr[k] * scale, ci = -wi[k] * scale;
            re[k] = cr * chirpRe![k] - ci * chirpIm![k];
            im[k] = cr * chirpIm[k] + ci * chirpRe[k];
        }
    }
}
