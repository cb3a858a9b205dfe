using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Rounding;
using LowBit.Tests.Quantization;

namespace LowBit.Tests.Formats;

/// <summary>NF4 (QLoRA, Dettmers et al. 2023, arXiv:2305.14314).</summary>
public class Nf4Tests
{
    /// <summary>The NF4 table published in QLoRA Appendix E (and bitsandbytes' NF4 lookup table), float32.</summary>
    private static readonly float[] Published =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f,
    ];

    [Fact]
    public void Grid_EqualsPublishedTable()
    {
        var f = FormatTable.Get("nf4");
        Assert.Equal(Published, f.Grid);
        for (int c = 0; c < 16; c++) Assert.Equal(Published[c], f.Decode(c));  // code = table index
        Assert.Null(f.OnnxType);
        Assert.Null(f.IntegerRange);
        Assert.Equal(4, f.BitsPerWeight);
    }

    [Fact]
    public void Grid_MatchesQLoRAConstruction()
    {
        // Independent derivation: offset 1 − δ, δ = ½(1/32 + 1/30); 8 positive quantiles Φ⁻¹(p) for p stepping evenly from
        // 1 − δ to ½ (½ excluded), 7 negative −Φ⁻¹(p) over 7 steps, plus 0, normalized by the largest. Tolerance 5·10⁻⁷:
        // the published float32 values differ from a float64 evaluation by ≤ 1.1·10⁻⁷ (checked with scipy), and Acklam's
        // Φ⁻¹ adds < 10⁻⁸.
        double offset = 1 - 0.5 * (1.0 / 32 + 1.0 / 30);
        var pos = Enumerable.Range(0, 8).Select(k => Distributions.InverseNormalCdf(offset + (0.5 - offset) * k / 8));
        var neg = Enumerable.Range(0, 7).Select(k => -Distributions.InverseNormalCdf(offset + (0.5 - offset) * k / 7));
        var v = pos.Concat(neg).Append(0).Order().ToArray();
        double max = v.Max();
        var grid = FormatTable.Get("nf4").Grid;
        for (int i = 0; i < 16; i++) Assert.True(Math.Abs(v[i] / max - grid[i]) < 5e-7, $"level {i}: {v[i] / max} vs {grid[i]}");
    }

    [Fact]
    public void Grid_HasExactZeroSevenNegativeEightPositiveLevels()
    {
        var g = FormatTable.Get("nf4").Grid;
        Assert.Equal(0f, g[7]);
        Assert.Equal(7, g.Count(v => v < 0));
        Assert.Equal(8, g.Count(v => v > 0));
        Assert.Equal((-1f, 1f), (g[0], g[^1]));
        // Symmetric up to the extra positive level: the k-th negative level lies between the k-th and (k+1)-th positive.
        for (int k = 1; k <= 6; k++) Assert.InRange(-g[7 - k], g[7 + k], g[8 + k]);
    }

    [Fact]
    public void Encode_Midpoints_TieToEvenCode()
    {
        var f = FormatTable.Get("nf4");
        var g = f.Grid;
        var mids = Enumerable.Range(1, 15).Select(i => (g[i - 1] + g[i]) / 2).ToArray();
        var codes = new int[mids.Length];
        f.Encode(mids, 0, codes, Nearest.Instance, 0);
        for (int i = 1; i <= 15; i++)
        {
            double below = (double)mids[i - 1] - g[i - 1], above = g[i] - (double)mids[i - 1];
            int want = below < above ? i - 1 : above < below ? i : (i % 2 == 0 ? i : i - 1);  // float midpoints may be inexact
            Assert.Equal(want, codes[i - 1]);
        }
    }

    [Fact]
    public void Quantize_GaussianWeights_BeatsInt4BySqnr()
    {
        // QLoRA's claim for normal weights with absmax scaling (blocks of 64): NF4 has lower error than int4 (symmetric
        // absmax, same block size). Seeded data, 2¹⁶ weights: measured 20.68 dB vs 19.83 dB (0.85 dB); asserted > 0.5 dB.
        var x = Distributions.Normal(1 << 16, 7);
        int[] shape = [1024, 64];
        double Sqnr(string name)
        {
            var p = Affine.ChooseFromData(x, shape, FormatTable.Get(name), QuantScheme.Symmetric, new PerChannel(0));
            var y = new float[x.Length];
            Affine.FakeQuantize(x, shape, p, y);
            double se = 0, sx = 0;
            for (int i = 0; i < x.Length; i++) { se += (x[i] - y[i]) * (double)(x[i] - y[i]); sx += (double)x[i] * x[i]; }
            return 10 * Math.Log10(sx / se);
        }
        double nf4 = Sqnr("nf4"), int4 = Sqnr("int4");
        Assert.True(nf4 > int4 + 0.5, $"nf4 {nf4:F2} dB vs int4 {int4:F2} dB");
    }

    [Fact]
    public void WeightQuantConfig_Nf4_AcceptedSymmetricRefusedAsymmetric()
    {
        // nf4 weights export as packed codes + lookup table (Qdq/LookupWeights.cs); the grid has no zero point.
        Assert.Equal("nf4", new WeightQuantConfig(FormatTable.Get("nf4")).Format.Name);
        var e = Assert.Throws<LowBitException>(() => new WeightQuantConfig(FormatTable.Get("nf4"), scheme: QuantScheme.Asymmetric));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("nf4", e.Message);
        Assert.Contains("symmetric", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
