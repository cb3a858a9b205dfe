using System.Diagnostics;
using LowBit.Formats;
using LowBit.Graph;
using LowBit.Nn.Zoo;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Benchmarks;

/// <summary>
/// The measurements behind the quantizer's ONNX Runtime-dependent defaults (docs/quantization.md), in one process:
/// <list type="bullet">
/// <item><c>quant weight-only</c>: latency of 4-bit weight-only exports of a [M, K]·[K, N] layer in ONNX Runtime —
/// float, DequantizeLinear→MatMul, DequantizeLinear→Gemm(transB = 1), MatMulNBits at accuracy level 0 and 4 — and their
/// max difference from LowBit's fp32 simulation.</item>
/// <item><c>quant schemes</c>: for zoo models on Fashion-MNIST images, output SQNR vs float (LowBit simulation) and ONNX
/// Runtime latency (batch 32) of int8 full-range, int7 (reduce-range) and uint8 asymmetric (u8u8) weights.</item>
/// <item><c>quant saturation</c>: emulates vpmaddubsw (two adjacent u8·s8 products summed into an int16) on the Gemm
/// layers of fashion-cnn with Fashion-MNIST inputs: how many pairs and outputs would saturate with full-range int8
/// weights and with reduce-range 7-bit weights.</item>
/// </list>
/// Timings are medians of 7 blocks of ≥ 200 ms, single thread; compare ratios, not absolute numbers (shared machine).
/// </summary>
internal static class QuantKernelChoices
{
    public static int Run(string[] args)
    {
        Console.WriteLine($"CPU {Kernels.CpuFeatures.Current}");
        string what = args.Length > 0 ? args[0] : "all";
        if (what is "all" or "weight-only") WeightOnly();
        if (what is "all" or "schemes") Schemes();
        if (what is "all" or "saturation") Saturation();
        return 0;
    }

    private static void WeightOnly()
    {
        var rng = new Random(1);
        foreach (var (m, k, n) in new[] { (1, 1024, 1024), (16, 1024, 1024), (128, 1024, 1024), (1, 4096, 4096) })
        {
            var x = Random(rng, m, k);
            var w = Random(rng, n, k);
            var b = Random(rng, n);
            var gemm = Layer("Gemm", m, k, n, w, b);
            var matmul = Layer("MatMul", m, k, n, Transpose(w), null);
            var int4 = new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.Group(32));
            var dq = Quantizer.Quantize(matmul, new QuantizerConfig(QuantMode.WeightOnly, int4, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear)).Graph;
            var nb0 = Quantizer.Quantize(matmul, new QuantizerConfig(QuantMode.WeightOnly, int4, weightOnlyKernel: WeightOnlyKernel.MatMulNBits, matMulNBitsAccuracyLevel: 0)).Graph;
            var nb4 = Quantizer.Quantize(matmul, new QuantizerConfig(QuantMode.WeightOnly, int4, weightOnlyKernel: WeightOnlyKernel.MatMulNBits)).Graph;
            var dqGemm = GemmTransB1(gemm, int4);
            var reference = new Session(dq).Run(Inputs(x)).Values.First();
            Console.WriteLine($"M={m} K={k} N={n}: float {Us(matmul, x)} | DQ→MatMul {Us(dq, x)} | DQ→Gemm(transB=1) {Us(dqGemm, x)} | " +
                $"MatMulNBits acc0 {Us(nb0, x)} acc4 {Us(nb4, x)} µs; max |ORT − LowBit|: DQ→MatMul {Diff(dq, x, reference):G3}, acc0 {Diff(nb0, x, reference):G3}, acc4 {Diff(nb4, x, reference):G3} (max |y| {MaxAbs(reference):G3})");
        }
    }

    /// <summary>The export ONNX Runtime does not fuse: blocked DQ along K of B [N, K] read by Gemm(transB = 1).</summary>
    private static Graph.Graph GemmTransB1(Graph.Graph gemm, WeightQuantConfig int4)
    {
        var g = Quantization.Prepare.GraphCopy.Of(gemm);
        var p = Affine.ChooseFromData(g.Initializers["w"].AsReadOnlySpan<float>(), g.Initializers["w"].Shape, int4.Format, int4.Scheme, new PerGroup(1, 32));
        g.Nodes.Insert(0, Quantization.Qdq.QdqNodes.DequantizedInitializer(g, "w", p));
        g.Opsets[""] = 21;
        return g;
    }

    private static void Schemes()
    {
        var ds = Data.FashionMnist.OpenSubset();
        Tensor Batch(int start, int n)
        {
            var t = Tensor.Zeros(DType.Float32, n, 1, 28, 28);
            for (int i = 0; i < n; i++) ds.ReadSample(start + i, t.AsSpan<float>().Slice(i * 784, 784));
            return t;
        }
        var schemes = new (string, QuantizerConfig)[]
        {
            ("int8 full", new QuantizerConfig(reduceRange: false)),
            ("int7 reduce-range", new QuantizerConfig(reduceRange: true)),
            ("uint8 asym (u8u8)", new QuantizerConfig(weights: new WeightQuantConfig(FormatTable.Get("uint8"), scheme: QuantScheme.Asymmetric), reduceRange: false)),
        };
        foreach (var name in new[] { "fashion-cnn", "resnet8", "resnet20", "mobilenet-v2-tiny", "vit-tiny" })
        {
            var g = ModelZoo.Build(name);
            string input = g.RealInputs.First().Name;
            var calib = Enumerable.Range(0, 16).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [input] = Batch(i * 16, 16) }).ToList();
            var eval = new Dictionary<string, Tensor> { [input] = Batch(512, 256) };
            var timed = Batch(0, 32);
            var f = new Session(g).Run(eval).Values.First();
            foreach (var (label, cfg) in schemes)
            {
                var q = Quantizer.Quantize(g, cfg, calib);
                var y = new Session(q.Graph).Run(eval).Values.First();
                Console.WriteLine($"{name} {label}: SQNR {Sqnr(f, y):F2} dB, ORT batch 32 {Us(q.Graph, timed, input) / 1000:F2} ms");
            }
        }
    }

    private static void Saturation()
    {
        var ds = Data.FashionMnist.OpenSubset();
        var g = ModelZoo.Build("fashion-cnn");
        string input = g.RealInputs.First().Name;
        Tensor Batch(int start, int n)
        {
            var t = Tensor.Zeros(DType.Float32, n, 1, 28, 28);
            for (int i = 0; i < n; i++) ds.ReadSample(start + i, t.AsSpan<float>().Slice(i * 784, 784));
            return t;
        }
        var calib = Enumerable.Range(0, 16).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [input] = Batch(i * 16, 16) }).ToList();
        foreach (bool reduce in new[] { false, true })
        {
            var qg = Quantizer.Quantize(g, new QuantizerConfig(reduceRange: reduce), calib).Graph;
            var session = new Session(qg, new SessionOptions { Optimize = false });
            foreach (var gemm in qg.Nodes.Where(n => n.OpType == "Gemm").ToList())
            {
                // Gemm(DQ(x_q), DQ(w_q), transB = 1): codes x [M, K] (uint8), w [N, K] (int8).
                var xq = qg.Nodes.Single(n => n.Outputs[0] == gemm.Inputs[0]).Inputs[0];
                var wq = qg.Initializers[qg.Nodes.Single(n => n.Outputs[0] == gemm.Inputs[1]).Inputs[0]];
                var w = CodeStorage.FromTensor(wq);
                int n = wq.Shape[0], k = wq.Shape[1], m = 256;
                var x = CodeStorage.FromTensor(session.Run(new Dictionary<string, Tensor> { [input] = Batch(512, m) }, [xq])[xq]);
                long pairs = 0, saturated = 0, outputs = 0;
                for (int r = 0; r < m; r++)
                    for (int j = 0; j < n; j++)
                    {
                        bool hit = false;
                        for (int kk = 0; kk + 1 < k; kk += 2, pairs++)
                        {
                            int v = x[r * k + kk] * w[j * k + kk] + x[r * k + kk + 1] * w[j * k + kk + 1];
                            if (v is > short.MaxValue or < short.MinValue) { saturated++; hit = true; }
                        }
                        if (hit) outputs++;
                    }
                Console.WriteLine($"fashion-cnn {gemm.Name} (K = {k}) {(reduce ? "7-bit" : "8-bit")} weights: {saturated} of {pairs} pairs saturate, {outputs} of {m * n} outputs affected");
            }
        }
    }

    private static Graph.Graph Layer(string op, int m, int k, int n, Tensor w, Tensor? b)
    {
        var g = new Graph.Graph { Name = op, Opsets = new() { [""] = 21 } };
        g.Metadata.IrVersion = 10;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, m, k));
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, m, n));
        g.Initializers["w"] = w;
        if (b is not null) g.Initializers["b"] = b;
        var node = g.Add(op, b is null ? ["x", "w"] : ["x", "w", "b"], ["y"], "layer");
        if (op == "Gemm") node.With("transB", 1L);
        return g;
    }

    private static Dictionary<string, Tensor> Inputs(Tensor x, string name = "x") => new() { [name] = x };

    /// <summary>Median microseconds per run over 7 blocks of at least 200 ms, one thread.</summary>
    private static double Us(Graph.Graph g, Tensor x, string input = "x")
    {
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        using var run = ort.Prepare(Inputs(x, input));
        for (int i = 0; i < 5; i++) run.Run();
        var times = new List<double>();
        for (int r = 0; r < 7; r++)
        {
            var sw = Stopwatch.StartNew();
            int n = 0;
            while (sw.ElapsedMilliseconds < 200) { run.Run(); n++; }
            times.Add(sw.Elapsed.TotalMilliseconds * 1000 / n);
        }
        times.Sort();
        return Math.Round(times[3], 1);
    }

    private static float Diff(Graph.Graph g, Tensor x, Tensor reference)
    {
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var y = ort.Run(Inputs(x)).Values.First().AsReadOnlySpan<float>();
        var r = reference.AsReadOnlySpan<float>();
        float d = 0;
        for (int i = 0; i < r.Length; i++) d = Math.Max(d, Math.Abs(y[i] - r[i]));
        return d;
    }

    private static float MaxAbs(Tensor t)
    {
        float m = 0;
        foreach (var v in t.AsReadOnlySpan<float>()) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static double Sqnr(Tensor f, Tensor q)
    {
        double s = 0, e = 0;
        var a = f.AsReadOnlySpan<float>();
        var b = q.AsReadOnlySpan<float>();
        for (int i = 0; i < a.Length; i++) { s += a[i] * a[i]; e += (a[i] - b[i]) * (a[i] - b[i]); }
        return 10 * Math.Log10(s / e);
    }

    private static Tensor Random(Random rng, params int[] shape)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static Tensor Transpose(Tensor w)
    {
        int r = w.Shape[0], c = w.Shape[1];
        var src = w.AsReadOnlySpan<float>();
        var t = new float[src.Length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = src[i * c + j];
        return Tensor.FromArray(t, c, r);
    }
}
