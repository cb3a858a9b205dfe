using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Calibration;

/// <summary>
/// A tiny streaming voice-activity detector shaped like real ones: chunk float32 [1,512], state float32 [2,1,64]
/// (LSTM h and c), sr int64 scalar → prob [1,1], state_out [2,1,64]. If(sr == 16000) passes the chunk, else halves it
/// (standing in for resampling); frames = Relu(Reshape(chunk,[8,1,64])·W1); LSTM(H=64) over the 8 frames from (h, c);
/// prob = Sigmoid(h'·W2 + Reshape(state,[1,128])·Ws). Seeded weights of scale 1/√fan-in.
/// </summary>
internal static class StreamingVad
{
    public const int Chunk = 512, Hidden = 64, SampleRate = 16000;

    public static Graph.Graph Build(int seed = 3)
    {
        var rng = new Random(seed);
        Tensor W(params int[] shape)
        {
            int fan = shape[^1];
            var t = Tensor.Zeros(DType.Float32, shape);
            var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (float)((rng.NextDouble() * 2 - 1) / Math.Sqrt(fan));
            return t;
        }
        var g = new Graph.Graph { Name = "vad" };
        g.Opsets = new Dictionary<string, long> { [""] = 17 };
        g.Metadata.IrVersion = 8;
        g.Inputs.Add(ValueInfo.Of("chunk", DType.Float32, 1, Chunk));
        g.Inputs.Add(ValueInfo.Of("state", DType.Float32, 2, 1, Hidden));
        g.Inputs.Add(ValueInfo.Of("sr", DType.Int64));
        g.Outputs.Add(ValueInfo.Of("prob", DType.Float32, 1, 1));
        g.Outputs.Add(ValueInfo.Of("state_out", DType.Float32, 2, 1, Hidden));

        g.Initializers["sr16k"] = Tensor.Scalar((long)SampleRate);
        g.Add("Equal", ["sr", "sr16k"], ["is16k"], "is16k");
        var then = new Graph.Graph { Name = "at16k", Opsets = g.Opsets };
        then.Add("Identity", ["chunk"], ["audio_then"], "pass");
        then.Outputs.Add(ValueInfo.Of("audio_then", DType.Float32, 1, Chunk));
        var other = new Graph.Graph { Name = "resample", Opsets = g.Opsets };
        other.Initializers["half"] = Tensor.Scalar(0.5f);
        other.Add("Mul", ["chunk", "half"], ["audio_else"], "halve");
        other.Outputs.Add(ValueInfo.Of("audio_else", DType.Float32, 1, Chunk));
        g.Add("If", ["is16k"], ["audio"], "by_rate").With("then_branch", then).With("else_branch", other);

        g.Initializers["frames_shape"] = Tensor.FromArray(new long[] { 8, 1, 64 }, 3);
        g.Initializers["W1"] = W(64, 16);
        g.Add("Reshape", ["audio", "frames_shape"], ["frames"], "frames");
        g.Add("MatMul", ["frames", "W1"], ["proj"], "proj");
        g.Add("Relu", ["proj"], ["feat"], "feat_relu");

        g.Initializers["s0"] = Tensor.FromArray(new long[] { 0 }, 1);
        g.Initializers["s1"] = Tensor.FromArray(new long[] { 1 }, 1);
        g.Initializers["s2"] = Tensor.FromArray(new long[] { 2 }, 1);
        g.Add("Slice", ["state", "s0", "s1", "s0"], ["h0"], "h0");
        g.Add("Slice", ["state", "s1", "s2", "s0"], ["c0"], "c0");
        g.Initializers["lstm.W"] = W(1, 4 * Hidden, 16);
        g.Initializers["lstm.R"] = W(1, 4 * Hidden, Hidden);
        g.Initializers["lstm.B"] = W(1, 8 * Hidden);
        g.Add("LSTM", ["feat", "lstm.W", "lstm.R", "lstm.B", "", "h0", "c0"], ["lstm_y", "h1", "c1"], "lstm").With("hidden_size", (long)Hidden);
        g.Add("Concat", ["h1", "c1"], ["state_out"], "state_concat").With("axis", 0L);

        g.Initializers["h_shape"] = Tensor.FromArray(new long[] { 1, Hidden }, 2);
        g.Initializers["s_shape"] = Tensor.FromArray(new long[] { 1, 2 * Hidden }, 2);
        g.Initializers["W2"] = W(Hidden, 1);
        g.Initializers["Ws"] = W(2 * Hidden, 1);
        g.Add("Reshape", ["h1", "h_shape"], ["h_flat"], "h_flat");
        g.Add("MatMul", ["h_flat", "W2"], ["logit_h"], "head");
        g.Add("Reshape", ["state", "s_shape"], ["state_flat"], "state_flat");
        g.Add("MatMul", ["state_flat", "Ws"], ["logit_s"], "state_head");
        g.Add("Add", ["logit_h", "logit_s"], ["logit"], "logit");
        g.Add("Sigmoid", ["logit"], ["prob"], "prob");
        return g;
    }

    /// <summary><paramref name="seconds"/> of 16 kHz audio cut into 512-sample chunks: silence with noise, and voiced
    /// bursts (a 120–300 Hz harmonic series under a slow envelope). Deterministic.</summary>
    public static List<Tensor> Audio(double seconds, int seed = 1)
    {
        var rng = new Random(seed);
        int n = (int)(seconds * SampleRate) / Chunk;
        var chunks = new List<Tensor>(n);
        double phase = 0;
        for (int c = 0; c < n; c++)
        {
            var x = new float[Chunk];
            double t0 = (double)c * Chunk / SampleRate;
            bool voiced = Math.Sin(2 * Math.PI * 0.4 * t0) > 0.2;
            double f0 = 120 + 180 * (0.5 + 0.5 * Math.Sin(2 * Math.PI * 0.13 * t0));
            for (int i = 0; i < Chunk; i++)
            {
                phase += 2 * Math.PI * f0 / SampleRate;
                double v = voiced ? 0.5 * Math.Sin(phase) + 0.25 * Math.Sin(2 * phase) + 0.1 * Math.Sin(3 * phase) : 0;
                x[i] = (float)(v + 0.02 * (rng.NextDouble() * 2 - 1));
            }
            chunks.Add(Tensor.FromArray(x, 1, Chunk));
        }
        return chunks;
    }
}
