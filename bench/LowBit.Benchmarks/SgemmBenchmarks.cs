using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LowBit.Kernels;
using LowBit.Kernels.Gemm;

namespace LowBit.Benchmarks;

/// <summary>
/// Single-thread SGEMM C = A·B at 512×512×512 (2·512³ = 268 MFLOP per call) for every KernelTable row this CPU supports.
/// The GFLOP/s column is 2·M·N·K / mean time. Targets: avx2 ≥ 60 GFLOP/s (FP32 FMA peak ≈ 90/core on the reference
/// machine; see DESIGN.md §8).
/// </summary>
[Config(typeof(GflopsConfig))]
[WarmupCount(3)]
[IterationCount(15)]
public class SgemmBenchmarks
{
    public const int Size = 512;
    private float[] a = [], b = [], c = [];
    private SgemmKernel kernel = null!;

    public static IEnumerable<string> Rows() => KernelTable.Supported(KernelTable.SgemmRows).Select(r => r.Name);

    [ParamsSource(nameof(Rows))]
    public string Row { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        kernel = KernelTable.SgemmRows.Single(r => r.Name == Row).Implementation;
        var rnd = new Random(1);
        a = Enumerable.Range(0, Size * Size).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray();
        b = Enumerable.Range(0, Size * Size).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray();
        c = new float[Size * Size];
    }

    [Benchmark]
    public void Sgemm512SingleThread() =>
        kernel.Gemm(false, false, Size, Size, Size, 1f, a, Size, b, Size, 0f, c, Size, threads: 1);

    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>2·512³ / mean seconds / 1e9.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2·M·N·K / mean time, in 10⁹ floating-point operations per second";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats) return "-";
            return (2.0 * Size * Size * Size / (stats.Mean * 1e-9) / 1e9).ToString("F1");
        }
    }
}
