using LowBit.Data;
using LowBit.OnnxRuntime;
using LowBit.Reports;
using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Reports.ReportTestModels;

namespace LowBit.Tests.Reports;

public class FidelityTests
{
    private static readonly SessionOptions OneThread = new() { Threads = 1 };

    [Fact]
    public void Evaluate_ModelAgainstItself_IsPerfect()
    {
        var g = FloatMlp();
        var data = new SelfLabelled(g, 40);
        var progress = new List<EvalProgress>();
        var r = Fidelity.Evaluate(ModelRunner.LowBit(g, OneThread), ModelRunner.LowBit(g, OneThread), data,
            new FidelityOptions { BatchSize = 16 }, new SyncProgress<EvalProgress>(progress.Add));
        var o = Assert.Single(r.Outputs);
        Assert.Equal("y", o.Name);
        Assert.Equal(40, r.Samples);
        Assert.Equal(double.PositiveInfinity, o.SqnrDb);
        Assert.Equal(1, o.CosineMean, 12);
        Assert.Equal(1.0, o.Top1Agreement);
        Assert.Equal(1.0, o.Top5Agreement);
        Assert.Equal(0, o.KlDivergence!.Value, 12);
        Assert.Equal(1.0, r.Accuracy!.Reference.Top1);  // labels are the model's own predictions
        Assert.Equal(0, r.Accuracy.Top1Delta);
        Assert.Equal(40, progress[^1].Done);
    }

    [Fact]
    public void Evaluate_InfInInput_NamesSampleInputAndElement()
    {
        // Batch 1 of 16 (samples 16..31), row 2, element 6: sample 18.
        var g = FloatMlp();
        var batches = Batches(2);
        batches[1]["x"].AsSpan<float>()[2 * 8 + 6] = float.PositiveInfinity;
        var e = Assert.Throws<LowBitException>(() => Fidelity.Evaluate(ModelRunner.LowBit(g, OneThread), ModelRunner.LowBit(g, OneThread),
            batches.Select(b => new EvalBatch(b, null)), "hand-made"));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Equal("sample 18: input 'x' contains Inf (element 6); check the data or the model", e.Message);
    }

    [Fact]
    public void Evaluate_LowBitAgainstOrt_AgreesOnFloatModel()
    {
        var g = FloatMlp();
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var r = Fidelity.Evaluate(ModelRunner.From(ModelRunner.OrtEngine, ort.InputNames, ort.OutputNames, x => ort.Run(x)),
            ModelRunner.LowBit(g, OneThread), new RandomDataset(32, [8], 4), new FidelityOptions { BatchSize = 8 });
        var o = r.Outputs[0];
        Assert.Equal("ort", r.TestEngine);
        // Same float32 model in two engines: differences are summation-order rounding (~1e-7 relative), far above
        // 80 dB; a wrong op or wiring would fall below 40 dB.
        Assert.True(o.SqnrDb > 80, $"SQNR {o.SqnrDb}");
        Assert.Equal(1.0, o.Top1Agreement);
        Assert.Null(r.Accuracy);
    }

    [Fact]
    public void Evaluate_CoarseQdq_LosesFidelityAndAccuracy()
    {
        var f = FloatMlp();
        var q = HandQdq(f, reluScale: MaxOf(f, "r", Batches(4)) / 2);
        var data = new SelfLabelled(f, 64);
        var r = Fidelity.Evaluate(ModelRunner.LowBit(q, OneThread), ModelRunner.LowBit(f, OneThread), data, new FidelityOptions { BatchSize = 32 });
        var o = r.Outputs[0];
        Assert.InRange(o.SqnrDb, -10, 25);  // two levels for r: far worse than 8-bit, still correlated
        Assert.True(o.CosineMean < 0.999);
        Assert.True(r.Accuracy!.Top1Delta < 0);
        Assert.Equal(r.Accuracy.Test.Top1, o.Top1Agreement!.Value, 12);  // labels = float predictions
    }

    [Fact]
    public void Evaluate_MaxSamples_LimitsTheRun()
    {
        var g = FloatMlp();
        var r = Fidelity.Evaluate(ModelRunner.LowBit(g, OneThread), ModelRunner.LowBit(g, OneThread), new RandomDataset(50, [8]),
            new FidelityOptions { BatchSize = 8, MaxSamples = 10 });
        Assert.Equal(10, r.Samples);
    }

    [Fact]
    public void Evaluate_NoCommonOutput_FallsBackToSingleOutputs()
    {
        var g = FloatMlp();
        var renamed = ModelRunner.From("lowbit", ["x"], ["logits"], x => new() { ["logits"] = new Session(g, OneThread).Run(x)["y"] });
        var r = Fidelity.Evaluate(renamed, ModelRunner.LowBit(g, OneThread), new RandomDataset(4, [8]));
        Assert.Equal(double.PositiveInfinity, r.Outputs[0].SqnrDb);
    }

    [Fact]
    public void Evaluate_UnknownOutputRequested_IsUsageError()
    {
        var g = FloatMlp();
        var e = Assert.Throws<LowBitException>(() => Fidelity.Evaluate(ModelRunner.LowBit(g), ModelRunner.LowBit(g), new RandomDataset(4, [8]),
            new FidelityOptions { Outputs = ["nope"] }));
        Assert.Contains("'nope'", e.Message);
    }

    [Fact]
    public void Evaluate_FixedBatchOne_RunsOneSampleAtATime()
    {
        var g = FloatMlp();
        g.Inputs[0] = g.Inputs[0] with { Shape = [LowBit.Graph.Dim.Known(1), LowBit.Graph.Dim.Known(8)] };
        var runner = ModelRunner.LowBit(g, OneThread);
        Assert.Equal(1, runner.FixedBatch);
        var r = Fidelity.Evaluate(runner, ModelRunner.LowBit(g, OneThread), new RandomDataset(5, [8]), new FidelityOptions { BatchSize = 4 });
        Assert.Equal(5, r.Samples);
    }

    /// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; posts asynchronously).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
