using System.Text.Json.Nodes;
using LowBit.Nn.Training;
using LowBit.Tests.Data;
using LowBit.Tests.Nn.Zoo;
using static LowBit.Tests.Nn.Training.TrainingTestSupport;

namespace LowBit.Tests.Nn.Training;

public class CheckpointTests
{
    private static (List<double> Losses, Trainer Trainer) RunAll(TrainingConfig config)
    {
        var trainer = Trainer.Create(config);
        var losses = new List<double>();
        trainer.StepCompleted += p => losses.Add(p.Loss);
        trainer.Run();
        return (losses, trainer);
    }

    /// <summary>Stop after step k (cancellation, as Ctrl-C), resume from the checkpoint it leaves: the resumed steps have
    /// bit-identical losses, and the final weights and BatchNormalization statistics are identical, to one uninterrupted
    /// run (same seed, one thread). k = 2 stops mid-epoch 1; k = 4 stops mid-epoch 2, after a validation and an epoch
    /// checkpoint. Exact equality is the claim: shuffles, augmentation and dropout are functions of (seed, position).</summary>
    [ZooTrainableFact("fashion-cnn")]
    public void Resume_AfterCancel_ContinuesWithIdenticalLossesAndWeights()
    {
        foreach (int stopAfter in new[] { 2, 4 })
        {
            using var dir = new TempDir();
            var (expected, reference) = RunAll(SmallCnn(epochs: 2, maxSteps: 3));

            var config = SmallCnn(dir.Dir("ck"), epochs: 2, maxSteps: 3);
            var first = Trainer.Create(config);
            var losses = new List<double>();
            using var cts = new CancellationTokenSource();
            first.StepCompleted += p =>
            {
                losses.Add(p.Loss);
                if (p.GlobalStep == stopAfter) cts.Cancel();
            };
            Assert.ThrowsAny<OperationCanceledException>(() => first.Run(cts.Token));
            Assert.Equal(TrainingOutcome.Cancelled, first.Log.Outcome);
            Assert.Equal(stopAfter, losses.Count);

            var resumed = Trainer.Resume(dir.Path + "/ck");
            Assert.Equal(stopAfter, resumed.Position.Step);
            resumed.StepCompleted += p => losses.Add(p.Loss);
            var log = resumed.Run();

            Assert.Equal(expected, losses);
            foreach (var (name, t) in reference.Graph.Initializers)
                Assert.Equal(t.AsSpan<float>().ToArray(), resumed.Graph.Initializers[name].AsSpan<float>().ToArray());
            Assert.Equal(reference.Log.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.Validation)),
                log.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.Validation)));
            Assert.Single(log.ResumedFrom);
        }
    }

    /// <summary>A weight poisoned after step 4 makes step 5's loss NaN: the run stops with a Numerical error naming step
    /// 5, latest.json still names the end-of-epoch-1 checkpoint, and that checkpoint holds only finite weights.</summary>
    [ZooTrainableFact("fashion-cnn")]
    public void Run_NaNLoss_StopsNamingStepAndKeepsLastGoodCheckpoint()
    {
        using var dir = new TempDir();
        string ck = dir.Dir("ck");
        var trainer = Trainer.Create(SmallCnn(ck, epochs: 3, maxSteps: 3));
        trainer.StepCompleted += p =>
        {
            if (p.GlobalStep == 4) trainer.Graph.Initializers["head.fc2.weight"].AsSpan<float>()[0] = float.NaN;
        };
        var e = Assert.Throws<LowBitException>(() => trainer.Run());
        Assert.Equal(ErrorKind.Numerical, e.Kind);
        Assert.Contains("step 5", e.Message);
        Assert.Contains("e001-b000000", e.Message);
        Assert.Equal(TrainingOutcome.NumericalError, trainer.Log.Outcome);

        var pointer = JsonNode.Parse(File.ReadAllText(Path.Combine(ck, Checkpoint.PointerFile)))!["checkpoint"]!.GetValue<string>();
        Assert.Equal("e001-b000000", pointer);
        var loaded = Checkpoint.Load(ck);
        Assert.Equal(3, loaded.Position.Step);
        Assert.All(loaded.Weights.Values, t => Assert.True(t.DType != LowBit.Tensors.DType.Float32 || t.AsSpan<float>().ToArray().All(float.IsFinite)));
    }

    /// <summary>A running statistic that is no longer finite at the end of epoch 2 (the loss never sees it: training
    /// normalizes with batch statistics) fails the run when the checkpoint is due, naming it; epoch 1's stays latest.</summary>
    [ZooTrainableFact("fashion-cnn")]
    public void Run_NonFiniteRunningStatistic_RefusesToCheckpointIt()
    {
        using var dir = new TempDir();
        string ck = dir.Dir("ck");
        var trainer = Trainer.Create(SmallCnn(ck, epochs: 2, maxSteps: 2));
        trainer.StepCompleted += p =>
        {
            if (p.GlobalStep == 4) trainer.Graph.Initializers["block1.bn1.running_var"].AsSpan<float>()[3] = float.PositiveInfinity;
        };
        var e = Assert.Throws<LowBitException>(() => trainer.Run());
        Assert.Equal(ErrorKind.Numerical, e.Kind);
        Assert.Contains("'block1.bn1.running_var' became Infinity", e.Message);
        Assert.Contains("e001-b000000", e.Message);
        Assert.Equal(2, Checkpoint.Load(ck).Position.Step);
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsPositionConfigOptimizerStateAndPrunesOld()
    {
        using var dir = new TempDir();
        var config = SmallCnn(dir.Path);
        var graph = LowBit.Nn.Zoo.ModelZoo.Build("resnet8");
        var state = new Dictionary<string, LowBit.Tensors.Tensor>
        {
            ["step"] = LowBit.Tensors.Tensor.FromArray(new[] { 7L }, []),
            ["momentum_buffer/stem.conv.weight"] = graph.Initializers["stem.conv.weight"].Clone(),
        };
        var progress = new EpochProgress(7, 112, 112, 9.5, 40, 1.25, 0.01);
        for (int b = 1; b <= 3; b++)
            Checkpoint.Save(dir.Path, config, graph, state, new TrainingPosition(0, b, 7, progress), null, [], []);
        var names = Directory.GetDirectories(dir.Path).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(new[] { "e000-b000002", "e000-b000003" }, names);

        var loaded = Checkpoint.Load(dir.Path);
        Assert.Equal(new TrainingPosition(0, 3, 7, progress), loaded.Position);
        Assert.Equal(config, loaded.Config);
        Assert.Equal(7L, loaded.OptimizerState["step"].GetInt64(0));
        Assert.Equal(graph.Initializers["stem.conv.weight"].AsSpan<float>().ToArray(),
            loaded.OptimizerState["momentum_buffer/stem.conv.weight"].AsSpan<float>().ToArray());
        Assert.Equal(graph.Initializers.Keys.Order(), loaded.Weights.Keys.Intersect(graph.Initializers.Keys).Order());
    }

    [Fact]
    public void Load_EditedConfig_IsDamagedCheckpointError()
    {
        using var dir = new TempDir();
        var graph = LowBit.Nn.Zoo.ModelZoo.Build("resnet8");
        var state = new Dictionary<string, LowBit.Tensors.Tensor> { ["step"] = LowBit.Tensors.Tensor.FromArray(new[] { 0L }, []) };
        string folder = Checkpoint.Save(dir.Path, SmallCnn(), graph, state, new TrainingPosition(0, 0, 0, EpochProgress.Empty), null, [], []);
        string meta = Path.Combine(folder, Checkpoint.MetaFile);
        File.WriteAllText(meta, File.ReadAllText(meta).Replace("\"learning_rate\": 0.02", "\"learning_rate\": 0.5"));
        var e = Assert.Throws<LowBitException>(() => Checkpoint.Load(dir.Path));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("hash", e.Message);
    }

    [Fact]
    public void Resume_MissingFolder_IsFileNotFound()
    {
        var e = Assert.Throws<LowBitException>(() => Checkpoint.Load("/nonexistent/ck"));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
        Assert.Contains("/nonexistent/ck", e.Message);
    }

    [Fact]
    public void Resume_DifferentModelOrOptimizer_NamesWhatDiffers()
    {
        using var dir = new TempDir();
        var graph = LowBit.Nn.Zoo.ModelZoo.Build("fashion-cnn");
        var state = new Dictionary<string, LowBit.Tensors.Tensor> { ["step"] = LowBit.Tensors.Tensor.FromArray(new[] { 0L }, []) };
        Checkpoint.Save(dir.Path, SmallCnn(), graph, state, new TrainingPosition(0, 0, 0, EpochProgress.Empty), null, [], []);

        var e = Assert.Throws<LowBitException>(() => Trainer.Resume(dir.Path, SmallCnn(model: "resnet8")));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("model resnet8 (checkpoint: fashion-cnn)", e.Message);

        e = Assert.Throws<LowBitException>(() => Trainer.Resume(dir.Path, SmallCnn(optimizer: OptimizerKind.AdamW)));
        Assert.Contains("--optimizer adamw (checkpoint: sgd)", e.Message);

        e = Assert.Throws<LowBitException>(() => Trainer.Resume(dir.Path, SmallCnn(lr: 0.2)));
        Assert.Contains("--lr 0.2 (checkpoint: 0.02)", e.Message);
    }

    [Fact]
    public void Resume_DataOfAnotherShape_NamesTheParameterShapes()
    {
        using var dir = new TempDir();
        var graph = LowBit.Nn.Zoo.ModelZoo.Build("fashion-cnn");
        var state = new Dictionary<string, LowBit.Tensors.Tensor> { ["step"] = LowBit.Tensors.Tensor.FromArray(new[] { 0L }, []) };
        Checkpoint.Save(dir.Dir("ck"), SmallCnn(), graph, state, new TrainingPosition(0, 0, 0, EpochProgress.Empty), null, [], []);
        string small = WriteIdx(dir, "small", 64, 16, 16, classes: 10);
        var e = Assert.Throws<LowBitException>(() => Trainer.Resume(dir.Path + "/ck", SmallCnn(dataset: small)));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("head.fc1.weight", e.Message);
        Assert.Contains("[64,3136]", e.Message);
    }
}
