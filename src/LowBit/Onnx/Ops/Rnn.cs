using System.Numerics.Tensors;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;
using Tensor = LowBit.Tensors.Tensor;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Shared parts of RNN, GRU and LSTM. Layouts (layout = 0 / 1): X [seq, batch, in] / [batch, seq, in];
/// W [dirs, G·H, in], R [dirs, G·H, H], B [dirs, 2·G·H] = (Wb, Rb); initial_h/c [dirs, batch, H] / [batch, dirs, H];
/// Y [seq, dirs, batch, H] / [batch, seq, dirs, H]; Y_h, Y_c like initial_h. Direction 1 of a bidirectional op runs
/// in reverse. With sequence_lens, batch item b runs steps 0..len_b−1 (reverse: len_b−1..0); Y is zero beyond len_b
/// and Y_h is the state after its last step. Math is float32 whatever the input type.
/// </summary>
internal sealed class RnnArgs
{
    public int Seq, Batch, Input, Hidden, Dirs, Gates;
    public bool Batchwise;
    public float[] X = [], W = [], R = [];
    /// <summary>Per direction: Wb and Rb, each G·H (zeros without B).</summary>
    public float[] Wb = [], Rb = [];
    public int[] Lens = [];
    /// <summary>Initial states in canonical [dirs, batch, H] order (zeros when absent).</summary>
    public float[] H0 = [], C0 = [];
    public DType DType;
    public float Clip = float.PositiveInfinity;
    public Func<float, float>[] Acts = [];
    public int ActsPerDir;

    public static RnnArgs Parse(string op, int gates, Tensor x, Tensor w, Tensor r, Tensor? b, Tensor? lens, Tensor? h0, Tensor? c0,
        string direction, long layout, float? clip, string[]? activations, float[]? alpha, float[]? beta, string[] defaults)
    {
        if (x.Rank != 3 || w.Rank != 3 || r.Rank != 3) throw new ArgumentException($"{op}: X, W and R must be 3-D");
        var a = new RnnArgs { Gates = gates, Batchwise = layout != 0, DType = x.DType };
        a.Dirs = direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw new ArgumentException($"{op}: unknown direction '{direction}'"),
        };
        a.Seq = a.Batchwise ? x.Shape[1] : x.Shape[0];
        a.Batch = a.Batchwise ? x.Shape[0] : x.Shape[1];
        a.Input = x.Shape[2];
        a.Hidden = r.Shape[2];
        int gh = gates * a.Hidden;
        if (!w.Shape.SequenceEqual(new[] { a.Dirs, gh, a.Input }) || !r.Shape.SequenceEqual(new[] { a.Dirs, gh, a.Hidden }))
            throw new ArgumentException($"{op}: W {w.ShapeString} / R {r.ShapeString} do not match {a.Dirs} direction(s), {gates} gates, hidden {a.Hidden}, input {a.Input}");
        a.X = x.ToFloatArray();
        if (a.Batchwise) a.X = SwapLeading(a.X, a.Batch, a.Seq, a.Input);
        a.W = w.ToFloatArray();
        a.R = r.ToFloatArray();
        a.Wb = new float[a.Dirs * gh];
        a.Rb = new float[a.Dirs * gh];
        if (b is not null)
        {
            if (!b.Shape.SequenceEqual(new[] { a.Dirs, 2 * gh })) throw new ArgumentException($"{op}: B {b.ShapeString} must be [{a.Dirs},{2 * gh}]");
            var bv = b.ToFloatArray();
            for (int d = 0; d < a.Dirs; d++)
            {
                Array.Copy(bv, d * 2 * gh, a.Wb, d * gh, gh);
                Array.Copy(bv, d * 2 * gh + gh, a.Rb, d * gh, gh);
            }
        }
        a.Lens = new int[a.Batch];
        if (lens is null) Array.Fill(a.Lens, a.Seq);
        else
        {
            var l = ShapeArgs.Longs(lens);
            if (l.Length != a.Batch) throw new ArgumentException($"{op}: {l.Length} sequence_lens for batch {a.Batch}");
            for (int i = 0; i < l.Length; i++)
                a.Lens[i] = l[i] >= 0 && l[i] <= a.Seq ? (int)l[i] : throw new ArgumentException($"{op}: sequence length {l[i]} is out of range [0, {a.Seq}]");
        }
        a.H0 = State(op, h0, a);
        a.C0 = State(op, c0, a);
        if (clip is float cl) a.Clip = cl;
        a.ActsPerDir = defaults.Length;
        a.Acts = RnnActivations.Resolve(op, activations, alpha, beta, defaults, a.Dirs);
        return a;
    }

    private static float[] State(string op, Tensor? s, RnnArgs a)
    {
        int n = a.Dirs * a.Batch * a.Hidden;
        if (s is null) return new float[n];
        var want = a.Batchwise ? new[] { a.Batch, a.Dirs, a.Hidden } : new[] { a.Dirs, a.Batch, a.Hidden };
        if (!s.Shape.SequenceEqual(want)) throw new ArgumentException($"{op}: initial state {s.ShapeString} must be {ShapeArgs.Str(want)}");
        var v = s.ToFloatArray();
        return a.Batchwise ? SwapLeading(v, a.Batch, a.Dirs, a.Hidden) : v;
    }

    /// <summary>[p, q, inner] → [q, p, inner].</summary>
    internal static float[] SwapLeading(float[] v, int p, int q, int inner)
    {
        var r = new float[v.Length];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < q; j++)
                Array.Copy(v, (i * q + j) * inner, r, (j * p + i) * inner, inner);
        return r;
    }

    /// <summary>Input projection of direction d, one GEMM over all steps: out[(t·batch + b)·G·H + g] = W_d[g]·x[t, b] +
    /// Wb_d[g] (+ Rb_d[g] where <paramref name="addRb"/>(g)).</summary>
    public float[] Project(int d, Func<int, bool> addRb)
    {
        int gh = Gates * Hidden, rows = Seq * Batch;
        var xw = new float[rows * gh];
        if (rows > 0)
            GemmF32.Gemm(false, true, rows, gh, Input, 1f, X, Input, W.AsSpan(d * gh * Input, gh * Input), Input, 0f, xw, gh);
        var bias = new float[gh];
        for (int g = 0; g < gh; g++) bias[g] = Wb[d * gh + g] + (addRb(g) ? Rb[d * gh + g] : 0);
        for (int row = 0; row < rows; row++) TensorPrimitives.Add(xw.AsSpan(row * gh, gh), bias, xw.AsSpan(row * gh, gh));
        return xw;
    }

    private readonly Dictionary<(int, int, int), PackedMatrix> packedR = new();

    /// <summary>Recurrent term for all batch rows at once: output[b·count + g] = R_d[from + g]·h[b] (h is [batch, H]).
    /// The R rows are packed once per op call (a step's GEMM is small, repacking R every step would dominate).</summary>
    public void Recur(int d, ReadOnlySpan<float> h, Span<float> output, int from, int count)
    {
        int gh = Gates * Hidden;
        if (!packedR.TryGetValue((d, from, count), out var rt))
            packedR[(d, from, count)] = rt = GemmF32.Kernel.PackB(true, Hidden, count, R.AsSpan((d * gh + from) * Hidden, count * Hidden), Hidden);
        GemmF32.Kernel.Gemm(false, Batch, h, Hidden, rt, 1f, 0f, output, count);
    }

    public float ClipValue(float v) => Math.Clamp(v, -Clip, Clip);

    public Func<float, float> Act(int d, int i) => Acts[d * ActsPerDir + i];

    /// <summary>Time index of step s for batch item b in direction d (reverse for "reverse" and for dir 1 of bidirectional).</summary>
    public int Time(bool reverse, int s, int b) => reverse ? Lens[b] - 1 - s : s;

    /// <summary>Builds Y [seq, dirs, batch, H] (or batch-major), and the last states, in the input dtype.</summary>
    public Tensor?[] Outputs(OpContext ctx, float[] y, params float[][] states)
    {
        var result = new Tensor?[1 + states.Length];
        if (ctx.WantsOutput(0))
        {
            var v = Batchwise ? SwapLeading(y, Seq * Dirs, Batch, Hidden) : y;
            // Batch-major Y is [batch, seq, dirs, H]: from [seq·dirs, batch, H] swap to [batch, seq·dirs, H].
            result[0] = ToTensor(v, Batchwise ? new[] { Batch, Seq, Dirs, Hidden } : new[] { Seq, Dirs, Batch, Hidden });
        }
        for (int i = 0; i < states.Length; i++)
            if (ctx.WantsOutput(1 + i))
            {
                var v = Batchwise ? SwapLeading(states[i], Dirs, Batch, Hidden) : states[i];
                result[1 + i] = ToTensor(v, Batchwise ? new[] { Batch, Dirs, Hidden } : new[] { Dirs, Batch, Hidden });
            }
        return result;
    }

    private Tensor ToTensor(float[] v, int[] shape)
    {
        if (DType == DType.Float32) return Tensor.FromArray(v, shape);
        var t = Tensor.Empty(DType, shape);
        for (int i = 0; i < v.Length; i++) t.SetDouble(i, v[i]);
        return t;
    }
}

/// <summary>RNN: H_t = f(X_t·Wᵀ + H_{t−1}·Rᵀ + Wb + Rb), f = Tanh by default.</summary>
internal static class RnnOps
{
    [Op("RNN", 1)]
    public static Tensor?[] Rnn(OpContext ctx, Tensor X, Tensor W, Tensor R, Tensor? B = null, Tensor? sequence_lens = null,
        Tensor? initial_h = null, float[]? activation_alpha = null, float[]? activation_beta = null, string[]? activations = null,
        float? clip = null, string direction = "forward", long layout = 0)
    {
        var a = RnnArgs.Parse("RNN", 1, X, W, R, B, sequence_lens, initial_h, null, direction, layout, clip,
            activations, activation_alpha, activation_beta, new[] { "Tanh" });
        int H = a.Hidden, batch = a.Batch;
        var y = new float[a.Seq * a.Dirs * batch * H];
        var hState = (float[])a.H0.Clone();
        var pre = new float[batch * H];
        for (int d = 0; d < a.Dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var xw = a.Project(d, _ => true);
            var f = a.Act(d, 0);
            var hd = hState.AsSpan(d * batch * H, batch * H);
            for (int s = 0; s < a.Seq; s++)
            {
                a.Recur(d, hd, pre, 0, H);
                for (int b = 0; b < batch; b++)
                {
                    if (s >= a.Lens[b]) continue;
                    int t = a.Time(reverse, s, b);
                    var h = hd.Slice(b * H, H);
                    for (int g = 0; g < H; g++) h[g] = f(a.ClipValue(pre[b * H + g] + xw[(t * batch + b) * H + g]));
                    h.CopyTo(y.AsSpan(((t * a.Dirs + d) * batch + b) * H, H));
                }
            }
        }
        return a.Outputs(ctx, y, hState);
    }
}
