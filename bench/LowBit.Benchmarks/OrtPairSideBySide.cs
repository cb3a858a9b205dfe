using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace LowBit.Benchmarks;

/// <summary>
/// Two ONNX files in ONNX Runtime, one process, same threads, same seeded input, timed in alternating blocks (first run
/// of each block dropped): the latency of a quantized export against its float original (docs/results.md).
/// Reports each file's median, the median of per-round ratios B/A (the figure to quote on a shared machine; this one's
/// speed drifts up to 2× within minutes) and their range.
/// The files run as written (batch as declared; a symbolic dim is 1).
/// Usage: <c>ort-pair A.onnx B.onnx [--threads 2] [--rounds 15] [--block 5]</c>.
/// </summary>
internal static class OrtPairSideBySide
{
    public static int Run(string[] args)
    {
        if (args.Length < 2 || !File.Exists(args[0]) || !File.Exists(args[1]))
        {
            Console.Error.WriteLine("usage: ort-pair A.onnx B.onnx [--threads 2] [--rounds 15] [--block 5] (both files must exist)");
            return 2;
        }
        int threads = int.Parse(ResNetSideBySide.Option(args, "--threads", "2"));
        int rounds = int.Parse(ResNetSideBySide.Option(args, "--rounds", "15"));
        int block = int.Parse(ResNetSideBySide.Option(args, "--block", "5"));

        var a = OnnxImporter.Load(args[0]);
        var b = OnnxImporter.Load(args[1]);
        var input = a.RealInputs.First();
        var shape = input.Shape!.Select(d => d.Value is long v ? (int)v : 1).ToArray();
        var rnd = new Random(42);
        var data = new float[shape.Aggregate(1, (x, y) => x * y)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rnd.NextDouble() * 255 - 128);

        using var ortA = OrtRunner.FromFile(args[0], threads);
        using var ortB = OrtRunner.FromFile(args[1], threads);
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape.Select(d => (long)d).ToArray());
        string[] inNames = [input.Name];
        OrtValue[] inputs = [value];
        string[] outA = [a.Outputs[0].Name], outB = [b.Outputs[0].Name];
        for (int i = 0; i < 3; i++) { ortA.RunPrepared(inNames, inputs, outA); ortB.RunPrepared(inNames, inputs, outB); }

        var timesA = new List<double>();
        var timesB = new List<double>();
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var ta = ResNetSideBySide.Time(block, () => ortA.RunPrepared(inNames, inputs, outA));
            var tb = ResNetSideBySide.Time(block, () => ortB.RunPrepared(inNames, inputs, outB));
            timesA.AddRange(ta);
            timesB.AddRange(tb);
            ratios.Add(ResNetSideBySide.Median(tb) / ResNetSideBySide.Median(ta));
        }
        Console.WriteLine($"ONNX Runtime, input {input.Name} [{string.Join(",", shape)}], threads {threads}, {rounds} rounds of {block} runs per file");
        Console.WriteLine($"A {args[0]}: median {ResNetSideBySide.Median(timesA):F2} ms (min {timesA.Min():F2})");
        Console.WriteLine($"B {args[1]}: median {ResNetSideBySide.Median(timesB):F2} ms (min {timesB.Min():F2})");
        Console.WriteLine($"B/A: median of per-round ratios {ResNetSideBySide.Median(ratios):F3} (range {ratios.Min():F3}–{ratios.Max():F3}), ratio of minima {timesB.Min() / timesA.Min():F3}");
        return 0;
    }
}
