using System.Text.Json;
using System.Text.Json.Nodes;
using LowBit.Nn.Training;
using LowBit.Nn.Zoo;

namespace LowBit.Tests.Nn.Training;

/// <summary>The attention choice as a training identity field (Bondarenko et al. 2023 variants of vit-tiny / gpt-tiny).</summary>
public class TrainingConfigAttentionTests
{
    [Fact]
    public void IdentityJson_Vanilla_LeavesFieldOutSoOldHashesHold()
    {
        var vanilla = new TrainingConfig("vit-tiny", "fashion-mnist");
        Assert.DoesNotContain("attention", vanilla.IdentityJson());
        var gated = vanilla with { Attention = AttentionKind.Gated };
        Assert.Contains("\"attention\":\"gated\"", gated.IdentityJson());
        Assert.NotEqual(vanilla.Hash(), gated.Hash());
        Assert.Equal(["--attention vanilla (checkpoint: gated)"], gated.IdentityDifferences(vanilla));
    }

    [Fact]
    public void CheckpointConfig_WithAndWithoutField_RoundTrips()
    {
        var c = new TrainingConfig("gpt-tiny", "text=x.txt", attention: AttentionKind.ClippedSoftmax);
        var json = JsonSerializer.SerializeToNode(c, TrainingLog.JsonOptions)!.AsObject();
        Assert.Equal("clipped-softmax", (string?)json["attention"]);
        Assert.Equal(AttentionKind.ClippedSoftmax, CheckpointConfig.Read(json).Attention);
        json.Remove("attention");  // a checkpoint written before the field existed
        Assert.Equal(AttentionKind.Vanilla, CheckpointConfig.Read(json).Attention);
    }

    [Fact]
    public void Constructor_AttentionOnCnn_ThrowsUsageNamingFlag()
    {
        var e = Assert.Throws<LowBitException>(() => new TrainingConfig("resnet8", "fashion-mnist", attention: AttentionKind.Gated));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--attention", e.Message);
    }

    [Fact]
    public void Apply_VitImageOptions_BecomesVitOptionsWithKind()
    {
        var o = AttentionKinds.Apply("vit-tiny", new ImageModelOptions([1, 28, 28], 10, seed: 3), AttentionKind.Gated);
        var v = Assert.IsType<VitOptions>(o);
        Assert.Equal(AttentionKind.Gated, v.Attention);
        Assert.Equal(3, v.Seed);
        Assert.Throws<LowBitException>(() => AttentionKinds.Parse("softmax1"));
    }
}
