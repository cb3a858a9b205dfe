using LowBit.Formats;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Nn.Qat;

/// <summary>
/// <c>FakeQuantize(x, scale, zero_point)</c> in domain <see cref="Domain"/>: the training-time stand-in for
/// QuantizeLinear → DequantizeLinear of any registered format, y = s·(g(c) − z) with c = encode(x/s) (ties to even,
/// saturating), computed by the same code the exporter quantizes weights with (<see cref="Affine"/>'s Quantize and Dequantize),
/// so a trained model exports to exactly the values it was trained with. It never reaches an exported file
/// (<see cref="QatModel.Export"/> writes standard QDQ). Scale layout as ONNX: rank 0 per tensor, [C] per channel along
/// <c>axis</c>, blocked with <c>block_size</c> &gt; 0.
/// <para>Backward (v = x/s, "inside" = the unsaturated range, g − z the dequantized code in steps):</para>
/// <list type="bullet">
/// <item>all methods: straight-through dx = dy inside, 0 outside (Bengio et al. 2013);</item>
/// <item><c>lsq</c> (Esser et al. 2020, eq. 3 and §2.2): ds = γ·Σ dy·((g − z) − v) inside, γ·Σ dy·(g − z) outside, with
/// γ = 1/√(N·Q_P), N the elements sharing the scale (per sample when <c>batch_axis</c> ≥ 0), Q_P the largest |grid value|;</item>
/// <item><c>pact</c> (Choi et al. 2018): only the clipped elements move the clip α = s·K (K = the top of the grid − z):
/// ∂y/∂α = 1 above it, so ds = Σ_{clipped} dy·(g − z) / K², the step α would take expressed in s;</item>
/// <item><c>ste</c>: the scale is frozen (no ds);</item>
/// <item><c>scale_from</c> = absmean | absmedian (BitNet b1.58, Ma et al. 2024, arXiv:2402.17764; its median variant, BitNet
/// b1.58 Reloaded, Nielsen et al. 2024): the scale input is ignored and s is recomputed from x on every call, straight-through
/// with s held constant (no ds).</item>
/// </list>
/// </summary>
internal static class FakeQuantizeOp
{
    public const string Domain = "ai.lowbit.qat";
    public const string OpType = "FakeQuantize";
    public const string BiasOpType = "FakeQuantizeBias";

    /// <summary>What the forward keeps for the backward: the codes and the parameters they were made with.</summary>
    private sealed record Saved(int[] Codes, QuantParams Params);

    /// <summary>Outputs y and the scales used (the input's, or those chosen from x: what a bias fake quantizer multiplies).</summary>
    [Op(OpType, 1, Domain)]
    public static Tensor?[] FakeQuantize(OpContext ctx, Tensor x, Tensor scale, Tensor? zero_point = null, string format = "int8", long axis = 1,
        long block_size = 0, string method = "ste", long batch_axis = -1, string scale_from = "")
    {
        var xs = x.DType == DType.Float32 ? x.AsReadOnlySpan<float>() : x.ToFloatArray();
        var p = Params(format, scale, zero_point, axis, block_size, scale_from, xs, x.Shape);
        var codes = new int[x.Length];
        Affine.Quantize(xs, x.Shape, p, codes);
        var y = Tensor.Empty(DType.Float32, x.Shape);
        Affine.Dequantize(codes, x.Shape, p, y.AsSpan<float>());
        // The backward needs the codes; keeping them saves quantizing x a second time.
        if (ctx.Training) ctx.Saved = new Saved(codes, p);
        // A copy, never the input itself: a session may recycle the storage of values it computed.
        return [y, Tensor.FromArray((float[])p.Scales.Clone(), scale.Shape)];
    }

    [Grad(OpType, 1, Domain)]
    public static Tensor?[] FakeQuantizeGrad(GradContext ctx, Tensor x, Tensor scale, Tensor? zero_point = null, string format = "int8",
        long axis = 1, long block_size = 0, string method = "ste", long batch_axis = -1, string scale_from = "")
    {
        var xs = x.DType == DType.Float32 ? x.AsReadOnlySpan<float>() : x.ToFloatArray();
        QuantParams p;
        int[] codes;
        if (ctx.Saved is Saved saved && saved.Codes.Length == x.Length) (codes, p) = (saved.Codes, saved.Params);
        else
        {
            p = Params(format, scale, zero_point, axis, block_size, scale_from, xs, x.Shape);
            codes = new int[x.Length];
            Affine.Quantize(xs, x.Shape, p, codes);
        }
        var f = p.Format;
        var dy = Elementwise.ToFloat32(ctx.OutputGrad()).AsReadOnlySpan<float>();
        var dx = ctx.Needs(0) ? new float[x.Length] : null;
        bool lsq = method == "lsq", pact = method == "pact";
        var ds = ctx.Needs(1) && (lsq || pact) && scale_from.Length == 0 ? new double[p.Scales.Length] : null;
        float gridMin = f.Grid[0], gridMax = f.Grid[^1];
        var range = f.IntegerRange;
        // Integer grids: the code is the grid value (no Decode call per element).
        bool integer = range is not null;
        int qmin = range?.Min ?? 0, qmax = range?.Max ?? 0;
        foreach (var run in ParamLayout.Runs(x.Shape, p.Granularity))
            for (int i = 0; i < run.Length; i++)
            {
                int e = run.Start + i, k = run.Param + i * run.Step;
                float s = p.Scales[k];
                int z = p.ZeroPoints[k];
                float v = xs[e] / s;
                bool inside;
                if (integer)
                {
                    float r = MathF.Round(v, MidpointRounding.ToEven) + z;
                    inside = r >= qmin && r <= qmax;
                }
                else inside = v >= gridMin && v <= gridMax;
                if (dx is not null && inside) dx[e] = dy[e];
                if (ds is null) continue;
                float level = (integer ? codes[e] : f.Decode(codes[e])) - z;
                if (lsq) ds[k] += dy[e] * (inside ? level - v : level);
                else if (!inside) ds[k] += dy[e] * level;
            }
        Tensor? dScale = null;
        if (ds is not null)
        {
            double perScale = (double)x.Length / p.Scales.Length;
            if (batch_axis >= 0 && batch_axis < x.Rank && x.Shape[batch_axis] > 0) perScale /= x.Shape[batch_axis];
            double qp = Math.Max(Math.Abs(gridMin), Math.Abs(gridMax));
            var g = new float[ds.Length];
            for (int k = 0; k < g.Length; k++)
            {
                double factor = lsq ? 1 / Math.Sqrt(Math.Max(1, perScale) * qp) : 1 / Math.Pow(Math.Max(1, Top(f, p.ZeroPoints[k])), 2);
                g[k] = (float)(ds[k] * factor);
            }
            dScale = Tensor.FromArray(g, scale.Shape);
        }
        return [dx is null ? null : GradElementwise.Pass(x, Tensor.FromArray(dx, x.Shape)), dScale, null];
    }

    /// <summary>
    /// <c>FakeQuantizeBias(b, s_x, s_w)</c>: the bias as the exporter stores it, int32 codes q = round(b / (s_x·s_w)) (float32
    /// product, per output channel when s_w is; a double division, ties to even) times s_x·s_w, so the training graph adds
    /// exactly the bias the quantized model adds. A bias whose codes would not fit int32, or whose scales do not fit it, stays
    /// float (as the exporter keeps it). Backward: db = dy (the rounding error is under 2⁻³¹ of a step); no scale gradient.
    /// </summary>
    [Op(BiasOpType, 1, Domain)]
    public static Tensor FakeQuantizeBias(Tensor b, Tensor x_scale, Tensor w_scale)
    {
        var values = b.ToFloatArray();
        float sx = x_scale.ToFloatArray()[0];
        var sw = w_scale.ToFloatArray();
        if (sw.Length != 1 && sw.Length != values.Length) return b;
        var y = new float[values.Length];
        for (int c = 0; c < y.Length; c++)
        {
            float scale = sx * sw[sw.Length == 1 ? 0 : c];
            if (!(scale > 0) || !float.IsFinite(scale)) return b;
            double r = Math.Round((double)values[c] / scale, MidpointRounding.ToEven);
            if (Math.Abs(r) > int.MaxValue) return b;
            y[c] = (float)(int)r * scale;
        }
        return Tensor.FromArray(y, b.Shape);
    }

    [Grad(BiasOpType, 1, Domain)]
    public static Tensor?[] FakeQuantizeBiasGrad(GradContext ctx, Tensor b, Tensor x_scale, Tensor w_scale) =>
        [ctx.Needs(0) ? GradElementwise.Pass(b, ctx.OutputGrad()) : null, null, null];

    /// <summary>K = (top of the grid) − z: the clip value in steps of s.</summary>
    private static double Top(INumberFormat f, int z) => f.Grid[^1] - z;

    /// <summary>The parameters the op's inputs and attributes describe (validated by <see cref="QuantParams"/>). With
    /// <paramref name="scaleFrom"/> = absmean or absmedian the scales are chosen from x itself, as post-training quantization
    /// chooses them for a weight with that range (BitNet b1.58: s = mean |W|; BitNet Reloaded: median), every step.</summary>
    internal static QuantParams Params(string format, Tensor scale, Tensor? zeroPoint, long axis, long blockSize, string scaleFrom = "",
        ReadOnlySpan<float> x = default, int[]? shape = null)
    {
        var f = FormatTable.Get(format);
        Granularity gran = blockSize > 0 ? new PerGroup((int)axis, (int)blockSize) : scale.Rank == 0 ? PerTensor.Instance : new PerChannel((int)axis);
        if (scaleFrom.Length > 0)
        {
            var range = scaleFrom switch
            {
                "absmean" => WeightRange.AbsMean,
                "absmedian" => WeightRange.AbsMedian,
                _ => throw new ArgumentException($"scale_from '{scaleFrom}': use absmean or absmedian"),
            };
            return Quantization.Qdq.QdqParams.ForWeight(x, shape!, new WeightQuantConfig(f, range: range), gran);
        }
        var scales = scale.DType == DType.Float32 ? (float[])scale.AsReadOnlySpan<float>().ToArray() : scale.ToFloatArray();
        var zeros = zeroPoint is null ? new int[scales.Length] : zeroPoint.ToInt64Array().Select(v => (int)v).ToArray();
        return new QuantParams(f, gran, scales, zeros, gran is PerGroup ? scale.Shape : null);
    }
}
