using LowBit.Nn.Optim;
using LowBit.Nn.Training;

namespace LowBit.Tests.Nn.Training;

public class TrainingConfigTests
{
    [Fact]
    public void Constructor_UnsetFields_TakeTheModelRecipe()
    {
        var cnn = new TrainingConfig("Fashion-CNN", "fashion-mnist");
        Assert.Equal("fashion-cnn", cnn.Model);
        Assert.Equal(OptimizerKind.Sgd, cnn.Optimizer);
        Assert.Equal(10, cnn.Epochs);
        Assert.True(cnn.Nesterov && cnn.Augment);
        var vit = new TrainingConfig("vit-tiny", "fashion-mnist");
        Assert.Equal(OptimizerKind.AdamW, vit.Optimizer);
        Assert.Equal(0.1, vit.LabelSmoothing);
        Assert.Equal(1.0, vit.GradClip);
        var gpt = new TrainingConfig("gpt-tiny", "text=x.txt");
        Assert.False(gpt.Augment);
        Assert.Equal(0.99, gpt.Beta2);
    }

    [Fact]
    public void Constructor_OtherOptimizerThanRecipe_GetsThatOptimizersDefaults()
    {
        var c = new TrainingConfig("fashion-cnn", "fashion-mnist", optimizer: OptimizerKind.AdamW);
        Assert.Equal(1e-3, c.LearningRate);
        Assert.False(c.Nesterov);
    }

    [Theory]
    [InlineData("epochs")]
    [InlineData("lr")]
    [InlineData("label-smoothing")]
    [InlineData("warmup")]
    [InlineData("grad-clip")]
    public void Constructor_BadValue_IsUsageErrorNamingTheFlag(string flag)
    {
        var e = Assert.Throws<LowBitException>(() => flag switch
        {
            "epochs" => new TrainingConfig("resnet8", "x", epochs: 0),
            "lr" => new TrainingConfig("resnet8", "x", learningRate: double.NaN),
            "label-smoothing" => new TrainingConfig("resnet8", "x", labelSmoothing: 1),
            "warmup" => new TrainingConfig("resnet8", "x", epochs: 2, warmupEpochs: 3),
            _ => new TrainingConfig("resnet8", "x", gradClip: -1),
        });
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.StartsWith("--" + flag, e.Message);
    }

    [Fact]
    public void Constructor_UnknownModel_ListsKnownOnes()
    {
        var e = Assert.Throws<LowBitException>(() => new TrainingConfig("resnet9000", "fashion-mnist"));
        Assert.Contains("resnet8", e.Message);
    }

    [Fact]
    public void Hash_DependsOnIdentityFieldsOnly()
    {
        var a = new TrainingConfig("resnet8", "fashion-mnist", seed: 1);
        Assert.Equal(a.Hash(), new TrainingConfig("resnet8", "fashion-mnist=/elsewhere", seed: 1, epochs: 40, threads: 1, checkpointDir: "c").Hash());
        Assert.NotEqual(a.Hash(), new TrainingConfig("resnet8", "fashion-mnist", seed: 2).Hash());
        Assert.NotEqual(a.Hash(), new TrainingConfig("resnet8", "fashion-mnist", seed: 1, learningRate: 0.01).Hash());
        Assert.Matches("^[0-9a-f]{16}$", a.Hash());
    }

    /// <summary>Cosine: warm-up rises linearly to η₀ at step W−1, then decays to 0 at the last step.</summary>
    [Fact]
    public void Schedule_CosineWithWarmup_PeaksAfterWarmupAndEndsNearZero()
    {
        var c = new TrainingConfig("resnet8", "x", epochs: 4, learningRate: 0.1, warmupEpochs: 1);
        var s = LearningRates.For(c, 10);
        Assert.Equal(0.01, s.At(0), 12);
        Assert.Equal(0.1, s.At(9), 12);
        Assert.True(s.At(20) < 0.1 && s.At(20) > 0.01);
        Assert.True(s.At(39) < 1e-3);
    }

    [Fact]
    public void Schedule_Step_DecaysEveryKEpochsAfterWarmup()
    {
        var c = new TrainingConfig("resnet8", "x", epochs: 6, learningRate: 0.1, warmupEpochs: 0, schedule: ScheduleKind.Step, stepEpochs: 2, stepGamma: 0.5);
        ILearningRateSchedule s = LearningRates.For(c, 10);
        Assert.Equal(0.1, s.At(19), 12);
        Assert.Equal(0.05, s.At(20), 12);
        Assert.Equal(0.025, s.At(45), 12);
    }
}
