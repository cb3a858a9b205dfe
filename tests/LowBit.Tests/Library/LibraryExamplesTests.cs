using System.Text.RegularExpressions;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Tests.Library;

/// <summary>
/// Runs the worked examples of docs/library.md. Each <c>#region doc:NAME</c> below is, line for line, the code block
/// after <c>&lt;!-- doc:NAME --&gt;</c> in the doc (<see cref="Docs_CodeBlocks_MatchTheTestedCode"/> enforces it), so the
/// documented code is the code that ran.
/// </summary>
public class LibraryExamplesTests
{
    private static readonly string DocPath = Path.Combine(RepoRoot(), "docs", "library.md");

    [Fact]
    public void Examples_QuantizeCalibrateEvaluateCompare_WorkEndToEnd()
    {
        string outDir = Directory.CreateTempSubdirectory("lowbit-library-").FullName;
        var log = new StringWriter();
        var Console = log;  // the examples print; keep their lines for the assertions below
        try
        {
            #region doc:quantize-file
            string model = Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");
            // Weight-only needs no data: int4 weights in groups of 32 (mse ranges, the default for ≤ 4-bit weights).
            var w4 = Quantizer.QuantizeFile(model, new QuantizerConfig(QuantMode.WeightOnly));
            w4.Save(Path.Combine(outDir, "fashion-cnn.w4.onnx"));  // + fashion-cnn.w4.lowbit.json, the manifest
            Console.WriteLine($"weights: {w4.Manifest.Config.Weights.Format} {w4.Manifest.Config.Weights.Range}");
            #endregion

            #region doc:calibrate
            var graph = OnnxImporter.Load(model);
            var images = FashionMnist.Open(FashionMnistSplit.Test1k);  // 1,000 labelled test images, shipped with LowBit

            // Any IEnumerable works: one dictionary per sample, input name → tensor. The model's input is
            // [N, 1, 28, 28]; a sample may leave out the batch dimension ([1, 28, 28]).
            IEnumerable<IReadOnlyDictionary<string, Tensor>> Samples()
            {
                var pixels = new float[28 * 28];
                for (int i = 0; i < 64; i++)
                {
                    images.ReadSample(i, pixels);
                    yield return new Dictionary<string, Tensor> { ["input"] = Tensor.FromArray(pixels.ToArray(), [1, 28, 28]) };
                }
            }
            var w8a8 = Quantizer.Quantize(graph, new QuantizerConfig(QuantMode.Static), Samples());
            w8a8.Save(Path.Combine(outDir, "fashion-cnn.w8a8.onnx"));
            Console.WriteLine($"calibrated on {w8a8.Manifest.Calibration!.Samples} samples");
            #endregion

            #region doc:evaluate
            // ONNX Runtime runs both files; Fidelity compares their outputs and, with labels, their accuracy.
            using var ortFloat = OrtRunner.FromFile(model);
            using var ortW8A8 = OrtRunner.FromFile(Path.Combine(outDir, "fashion-cnn.w8a8.onnx"));
            IModelRunner Ort(OrtRunner r) => ModelRunner.From(ModelRunner.OrtEngine, r.InputNames, r.OutputNames, x => r.Run(x));
            var report = Fidelity.Evaluate(Ort(ortW8A8), Ort(ortFloat), images, new FidelityOptions { MaxSamples = 500 });
            Console.WriteLine($"accuracy: FP32 {report.Accuracy!.Reference.Top1:P2}, W8A8 {report.Accuracy.Test.Top1:P2}; " +
                $"output SQNR {report.Outputs[0].SqnrDb:F1} dB, top-1 agreement {report.Outputs[0].Top1Agreement:P1}");
            #endregion

            #region doc:compare
            // Per-layer error of the quantized graph against the float one (LowBit's runtime simulates ONNX Runtime's Q/DQ).
            var layers = LayerComparison.Run(graph, w8a8.Graph, images, maxSamples: 32);
            foreach (var layer in layers.Layers.Take(3))
                Console.WriteLine($"{layer.Tensor} ({layer.Kind}): {layer.SqnrDb:F1} dB");
            Console.WriteLine($"output SQNR {layers.OutputSqnrDb:F1} dB");
            #endregion

            // Oracles: ONNX Runtime loaded both files; the quantized classifier stays within 1.5 points of FP32 (the README's
            // table measures W8A8 within 0.2 points on 800 images) and its logits keep ≥ 20 dB SQNR.
            Assert.True(File.Exists(Path.Combine(outDir, "fashion-cnn.w4.onnx")));
            Assert.True(File.Exists(Path.Combine(outDir, "fashion-cnn.w4.lowbit.json")));
            Assert.Equal("mse", w4.Manifest.Config.Weights.Range);
            Assert.Equal(64, w8a8.Manifest.Calibration!.Samples);
            Assert.Equal(500, report.Samples);
            Assert.True(report.Accuracy.Reference.Top1 > 0.85, $"FP32 accuracy {report.Accuracy.Reference.Top1}");
            Assert.True(Math.Abs(report.Accuracy.Top1Delta) < 0.015, $"W8A8 accuracy change {report.Accuracy.Top1Delta}");
            Assert.True(report.Outputs[0].SqnrDb > 20, $"output SQNR {report.Outputs[0].SqnrDb}");
            Assert.NotEmpty(layers.Layers);
            Assert.True(layers.OutputSqnrDb > 20, $"layer comparison output SQNR {layers.OutputSqnrDb}");
            Assert.Contains("calibrated on 64 samples", log.ToString());
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Docs_CodeBlocks_MatchTheTestedCode()
    {
        string doc = File.ReadAllText(DocPath);
        var tested = Regions(File.ReadAllText(Path.Combine(RepoRoot(), "tests", "LowBit.Tests", "Library", "LibraryExamplesTests.cs")));
        Assert.Equal(["calibrate", "compare", "evaluate", "quantize-file"], tested.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, code) in tested)
        {
            var m = Regex.Match(doc, $@"<!-- doc:{Regex.Escape(name)} -->\s*```csharp\n(.*?)```", RegexOptions.Singleline);
            Assert.True(m.Success, $"docs/library.md has no ```csharp block after <!-- doc:{name} -->");
            Assert.Equal(code, Dedent(m.Groups[1].Value));
        }
    }

    /// <summary>Region bodies by name, dedented; the <c>var Console = log</c> redirect above is test plumbing, not doc.</summary>
    private static Dictionary<string, string> Regions(string source) =>
        Regex.Matches(source, @"#region doc:(\S+)\n(.*?)\n\s*#endregion", RegexOptions.Singleline)
            .ToDictionary(m => m.Groups[1].Value, m => Dedent(m.Groups[2].Value));

    private static string Dedent(string block)
    {
        var lines = block.Replace("\r", "").TrimEnd('\n').Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..].TrimEnd() : l.Trim()));
    }

    private static string RepoRoot() => typeof(LibraryExamplesTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}
