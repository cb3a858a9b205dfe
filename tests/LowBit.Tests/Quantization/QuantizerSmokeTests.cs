using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Nn.Zoo;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization;

public class QuantizerSmokeTests
{
    static double Sqnr(Tensor f, Tensor q) { double s = 0, e = 0; var a = f.AsReadOnlySpan<float>(); var b = q.AsReadOnlySpan<float>(); for (int i = 0; i < a.Length; i++) { s += a[i] * a[i]; e += (a[i] - b[i]) * (a[i] - b[i]); } return 10 * Math.Log10(s / e); }

    [Fact]
    public void Measure_Schemes()
    {
        var ds = LowBit.Data.FashionMnist.OpenSubset();
        Tensor Batch(int start, int n) { var t = Tensor.Zeros(DType.Float32, n, 1, 28, 28); for (int i = 0; i < n; i++) ds.ReadSample(start + i, t.AsSpan<float>().Slice(i * 784, 784)); return t; }
        var calib = Enumerable.Range(0, 16).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["input"] = Batch(i * 16, 16) }).ToList();
        var eval = new Dictionary<string, Tensor> { ["input"] = Batch(512, 256) };
        var schemes = new (string, QuantizerConfig)[]
        {
            ("int8 full", new QuantizerConfig(reduceRange: false)),
            ("int7 reduce-range", new QuantizerConfig(reduceRange: true)),
            ("uint8 asym (u8u8)", new QuantizerConfig(weights: new WeightQuantConfig(FormatTable.Get("uint8"), scheme: QuantScheme.Asymmetric), reduceRange: false)),
        };
        foreach (var name in new[] { "fashion-cnn", "resnet8", "resnet20", "mobilenet-v2-tiny", "vit-tiny" })
        {
            var g = ModelZoo.Build(name);
            string inName = g.RealInputs.First().Name;
            var c2 = calib.Select(d => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [inName] = d["input"] }).ToList();
            var e2 = new Dictionary<string, Tensor> { [inName] = eval["input"] };
            var f = RunLowBit(g, e2);
            foreach (var (label, cfg) in schemes)
            {
                var q = Quantizer.Quantize(g, cfg, c2);
                var y = RunLowBit(q.Graph, e2);
                using var ort = OrtRunner.FromGraph(q.Graph, threads: 1);
                var x1 = new Dictionary<string, Tensor> { [inName] = Batch(0, 32) };
                using var p = ort.Prepare(x1);
                for (int i = 0; i < 3; i++) p.Run();
                var ts = new List<double>();
                for (int r = 0; r < 7; r++) { var sw = System.Diagnostics.Stopwatch.StartNew(); int n = 0; while (sw.ElapsedMilliseconds < 200) { p.Run(); n++; } ts.Add(sw.Elapsed.TotalMilliseconds / n); }
                ts.Sort();
                Console.WriteLine($"{name} {label}: SQNR {Sqnr(f, y):F2} dB top1 {Top1Agreement(f, y):F3} ort batch32 {ts[3]:F2} ms");
            }
        }
    }
}
