using LowBit.Nn.Training;
using LowBit.Tests.Data;
using static LowBit.Tests.Nn.Training.TrainingTestSupport;

namespace LowBit.Tests.Nn.Training;

/// <summary>A checkpoint remembers where its run writes the model and log (absolute), so <c>train --resume</c> writes
/// them there; checkpoints without the record (older ones) load with <see cref="LoadedCheckpoint.Outputs"/> null.</summary>
public class CheckpointOutputsTests
{
    private static string Save(TempDir dir, CheckpointOutputs? outputs)
    {
        var graph = LowBit.Nn.Zoo.ModelZoo.Build("resnet8");
        var state = new Dictionary<string, LowBit.Tensors.Tensor> { ["step"] = LowBit.Tensors.Tensor.FromArray(new[] { 0L }, []) };
        return Checkpoint.Save(dir.Path, SmallCnn(), graph, state, new TrainingPosition(0, 0, 0, EpochProgress.Empty), null, [], [], outputs);
    }

    [Fact]
    public void SaveLoad_Outputs_RoundTripAsAbsolutePaths()
    {
        using var dir = new TempDir();
        Save(dir, new CheckpointOutputs("rel/model.onnx", Path.Combine(dir.Path, "log.json")));
        var loaded = Checkpoint.Load(dir.Path);
        Assert.Equal(Path.GetFullPath("rel/model.onnx"), loaded.Outputs!.Model);
        Assert.Equal(Path.Combine(dir.Path, "log.json"), loaded.Outputs.Log);
    }

    [Fact]
    public void Load_CheckpointWithoutOutputs_HasNull()
    {
        using var dir = new TempDir();
        Save(dir, null);
        Assert.Null(Checkpoint.Load(dir.Path).Outputs);
    }
}
