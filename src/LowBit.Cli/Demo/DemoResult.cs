namespace LowBit.Cli.Demo;

/// <summary>One row of the demo table. Ratios are against FP32 (size: quantized/float; latency: quantized/float, &lt; 1 is
/// faster). Accuracy in fractions; <see cref="AccuracyDelta"/> in fractions (×100 for points).</summary>
internal sealed record DemoRow(string Id, string Scheme, string Flags, string File, long FileBytes, double SizeRatio, double Accuracy,
    double AccuracyDelta, double? Top1Agreement, double? OutputSqnrDb, double LatencyMs, double LatencyRatio, string? Report);

/// <summary>JSON result of <c>lowbit demo</c> (docs/cli.md).</summary>
internal sealed record DemoResult(string Command, string Model, string Data, int CalibrationSamples, int EvalSamples, int Threads,
    string Cpu, bool ReduceRange, string CpuDecision, IReadOnlyList<DemoRow> Rows, int LatencyRuns, string Report, IReadOnlyList<string> Warnings,
    double Seconds);
