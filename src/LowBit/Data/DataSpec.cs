using LowBit.Data.Inputs;
using LowBit.Data.Text;
using LowBit.Graph;

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
        $"images=DIR[,preset={string.Join("|", ImagePresets.Names)}][,size=N|HxW][,crop=center|none][,crops=N][,seed=S]",
        $"images=DIR[,preset=...],height=H,keep-aspect   each image at height H and its own width (calibration of dynamic-width models)",
        "npy=FILE_OR_DIR[,labels=LABELS.npy]",
        "npy=NAME:SOURCE(,NAME=SOURCE)*   one source per model input; SOURCE = DIR (one .npy per sample) | FILE.npy (samples along dim 0) | const:VALUE",
        "npz=DIR_OR_FILE(,NAME=SOURCE)*   DIR: one .npz per sample, one array per input name; FILE: arrays hold samples along dim 0",
        "random[:N][,seed=S]",
        "text=FILE[,seq=T][,val=FRACTION][,vocab=VOCAB.json|vocab.txt]   with vocab: int64 token windows of the model's length (.txt: WordPiece)",
        "zeroq[:N][,iterations=I][,lr=R][,seed=S][,shape=CxHxW]   N inputs synthesized from the model's BatchNormalization statistics (quantize --calib-data only)",
    ];

    public static DataSpec Parse(string text) => DataSpecParser.Parse(text);

    /// <summary>Parses and opens <paramref name="text"/>. <paramref name="sampleShape"/> is the model's per-sample
    /// shape (see <see cref="DataValidation.SampleShapeFor"/>); <c>random</c> needs it.</summary>
    public static Dataset Open(string text, int[]? sampleShape = null) => Parse(text).Open(sampleShape);

    /// <summary>Opens the dataset. Missing files are <see cref="ErrorKind.FileNotFound"/> errors naming the path.</summary>
    public abstract Dataset Open(int[]? sampleShape = null);

    /// <summary>
    /// Opens the data as model calls for <paramref name="inputs"/> (the model's inputs): each sample holds every input
    /// not in <paramref name="fedElsewhere"/> (e.g. streamed state), in the input's dtype, checked sample by sample so
    /// dynamic dims may differ between samples. Single-input kinds bind to the one input left.
    /// </summary>
    public virtual SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        SpecInputs.OpenDataset(this, inputs, fedElsewhere);

    /// <summary>Parses <paramref name="text"/> and opens it for <paramref name="inputs"/> (see <see cref="OpenInputs"/>).</summary>
    public static SampleSource OpenInputs(string text, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        Parse(text).OpenInputs(inputs, fedElsewhere);

    private protected static string FeedsText(IReadOnlyList<KeyValuePair<string, string>> feeds) =>
        string.Concat(feeds.Select(kv => "," + kv.Key + "=" + kv.Value));
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
    public override Dataset Open(int[]? sampleShape = null) => Options.KeepAspect
        ? throw new LowBitException(ErrorKind.Usage, $"{this}: keep-aspect gives images of different widths, which only calibration data (quantize --calib-data) takes; use size=HxW here")
        : ImageFolderDataset.Open(Directory, Options);

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        Options.KeepAspect
            ? new ImageAspectSource(ToString(), ImageFolderDataset.Open(Directory, Options), SpecInputs.Single(this, inputs, fedElsewhere))
            : base.OpenInputs(inputs, fedElsewhere);

    public override string ToString() =>
        $"images={Directory},preset={ImagePresets.NameOf(Options.Preset)},"
        + (Options.KeepAspect ? $"height={Options.Size},keep-aspect" : Options.Width is int w ? $"size={Options.Size}x{w}" : $"size={Options.Size}")
        + (Options.Crop == ImageCrop.None ? ",crop=none" : "")
        + (Options.RandomCrops > 0 ? $",crops={Options.RandomCrops},seed={Options.Seed}" : "");
}

public sealed record NpySpec(string Path, string? Labels = null) : DataSpec
{
    /// <summary>Further inputs by name: NAME=SOURCE (a folder, a .npy file or const:VALUE), in spec order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Inputs { get; init; } = Array.Empty<KeyValuePair<string, string>>();

    public override Dataset Open(int[]? sampleShape = null) => Inputs.Count == 0 ? NpyDataset.Open(Path, Labels, sampleShape)
        : throw new LowBitException(ErrorKind.Usage, $"{this}: feeds several inputs; this command takes single-input data");

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        SpecInputs.OpenNpy(this, inputs, fedElsewhere);

    public override string ToString() => "npy=" + Path + (Labels is null ? "" : ",labels=" + Labels) + FeedsText(Inputs);
}

/// <summary>NumPy archives: one per sample in a folder, or one holding samples along dim 0; arrays named by input.</summary>
public sealed record NpzSpec(string Path) : DataSpec
{
    /// <summary>Inputs the archives do not hold: NAME=SOURCE, as for <see cref="NpySpec.Inputs"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Inputs { get; init; } = Array.Empty<KeyValuePair<string, string>>();

    public override Dataset Open(int[]? sampleShape = null) =>
        throw new LowBitException(ErrorKind.Usage, $"{this}: .npz archives feed model inputs by name; this command takes single-input float data (use npy=)");

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        SpecInputs.OpenNpz(this, inputs, fedElsewhere);

    public override string ToString() => "npz=" + Path + FeedsText(Inputs);
}

public sealed record RandomSpec(int Count = RandomDataset.DefaultCount, ulong Seed = 0) : DataSpec
{
    public override Dataset Open(int[]? sampleShape = null) =>
        new RandomDataset(Count, sampleShape ?? throw new LowBitException(ErrorKind.Usage,
            $"{this}: random data takes its sample shape from the model input; none was given"), Seed);

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null)
    {
        var needed = SpecInputs.Needed(inputs, fedElsewhere);
        bool plain = needed.Count == 1 && needed[0].DType == Tensors.DType.Float32 && needed[0].Shape is { Length: > 0 } shape && shape[1..].All(d => d.Value is not null);
        return plain ? base.OpenInputs(inputs, fedElsewhere) : new RandomSource(ToString(), needed, Count, Seed);
    }

    public override string ToString() => $"random:{Count}" + (Seed == 0 ? "" : $",seed={Seed}");
}

/// <summary>A character-level text corpus. It yields token sequences (<see cref="OpenText"/>), not float samples.</summary>
public sealed record TextSpec(string Path, TextOptions Options) : DataSpec
{
    /// <summary>The model's vocabulary (JSON list of characters, LowBit's char vocabulary file, or a WordPiece vocab.txt): with it the text
    /// becomes int64 token windows for an imported model (<see cref="OpenInputs"/>).</summary>
    public string? Vocab { get; init; }

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) =>
        Vocab is null
            ? throw new LowBitException(ErrorKind.Usage, $"{this}: give the model's vocabulary (vocab=VOCAB.json) to feed its token ids")
            : TextWindowSource.Open(this, SpecInputs.Single(this, inputs, fedElsewhere));

    public TextCorpus OpenText(CharVocabulary? vocabulary = null) => TextCorpus.Load(Path, Options, vocabulary);

    public override Dataset Open(int[]? sampleShape = null) =>
        throw new LowBitException(ErrorKind.Usage, $"{this}: text gives token sequences for language models, not float samples");

    public override string ToString() => $"text={Path},seq={Options.SequenceLength},val={Options.ValidationFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        + (Vocab is null ? "" : ",vocab=" + Vocab);
}
