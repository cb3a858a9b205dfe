using LowBit.Data.Text;

namespace LowBit.Data;

/// <summary>
/// A parsed data spec: one string that names a dataset, e.g. <c>fashion-mnist:test</c>,
/// <c>images=photos/,preset=imagenet,size=224</c>, <c>random:32</c>. Grammar:
/// <c>KIND[:VARIANT][=VALUE](,KEY=VALUE)*</c>; a comma splits only where a <c>key=</c> follows, so paths may hold commas.
/// <see cref="ToString"/> gives the canonical spec string. See <see cref="Syntax"/> for every kind.
/// </summary>
public abstract record DataSpec
{
    /// <summary>One line per kind: its syntax.</summary>
    public static IReadOnlyList<string> Syntax { get; } =
    [
        "fashion-mnist[:train|:test|:test1k][=DIR]",
        "fashion-mnist-1k",
        "idx=IMAGES[,labels=LABELS][,classes=N]",
        $"images=DIR[,preset={string.Join("|", ImagePresets.Names)}][,size=N][,crop=center|none][,crops=N][,seed=S]",
        "npy=FILE_OR_DIR[,labels=LABELS.npy]",
        "random[:N][,seed=S]",
        "text=FILE[,seq=T][,val=FRACTION]",
    ];

    public static DataSpec Parse(string text) => DataSpecParser.Parse(text);

    /// <summary>Parses and opens <paramref name="text"/>. <paramref name="sampleShape"/> is the model's per-sample
    /// shape (see <see cref="DataValidation.SampleShapeFor"/>); <c>random</c> needs it.</summary>
    public static Dataset Open(string text, int[]? sampleShape = null) => Parse(text).Open(sampleShape);

    /// <summary>Opens the dataset. Missing files are <see cref="ErrorKind.FileNotFound"/> errors naming the path.</summary>
    public abstract Dataset Open(int[]? sampleShape = null);
}

public sealed record FashionMnistSpec(FashionMnistSplit Split = FashionMnistSplit.Train, string? Directory = null) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) => FashionMnist.Open(Split, Directory);

    public override string ToString() => Split == FashionMnistSplit.Test1k && Directory is null
        ? "fashion-mnist-1k"
        : "fashion-mnist:" + Split.ToString().ToLowerInvariant() + (Directory is null ? "" : "=" + Directory);
}

public sealed record IdxSpec(string Images, string? Labels = null, int? Classes = null) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) =>
        IdxDataset.Open(Images, Labels, Classes is int k ? Enumerable.Range(0, k).Select(i => i.ToString()).ToArray() : null);

    public override string ToString() => "idx=" + Images + (Labels is null ? "" : ",labels=" + Labels) + (Classes is null ? "" : ",classes=" + Classes);
}

public sealed record ImageFolderSpec(string Directory, ImageOptions Options) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) => ImageFolderDataset.Open(Directory, Options);

    public override string ToString() =>
        $"images={Directory},preset={ImagePresets.NameOf(Options.Preset)},size={Options.Size}"
        + (Options.Crop == ImageCrop.None ? ",crop=none" : "")
        + (Options.RandomCrops > 0 ? $",crops={Options.RandomCrops},seed={Options.Seed}" : "");
}

public sealed record NpySpec(string Path, string? Labels = null) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) => NpyDataset.Open(Path, Labels, sampleShape);

    public override string ToString() => "npy=" + Path + (Labels is null ? "" : ",labels=" + Labels);
}

public sealed record RandomSpec(int Count = RandomDataset.DefaultCount, ulong Seed = 0) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) =>
        new RandomDataset(Count, sampleShape ?? throw new LowBitException(ErrorKind.Usage,
            $"{this}: random data takes its sample shape from the model input; none was given"), Seed);

    public override string ToString() => $"random:{Count}" + (Seed == 0 ? "" : $",seed={Seed}");
}

/// <summary>A character-level text corpus. It yields token sequences (<see cref="OpenText"/>), not float samples.</summary>
public sealed record TextSpec(string Path, TextOptions Options) : DataSpec
{
    public TextCorpus OpenText(CharVocabulary? vocabulary = null) => TextCorpus.Load(Path, Options, vocabulary);

    public override Dataset Open(int[]? sampleShape = null) =>
        throw new LowBitException(ErrorKind.Usage, $"{this}: text gives token sequences for language models, not float samples");

    public override string ToString() => $"text={Path},seq={Options.SequenceLength},val={Options.ValidationFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
