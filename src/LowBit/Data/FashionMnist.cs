namespace LowBit.Data;

public enum FashionMnistSplit
{
    Train,
    Test,
    /// <summary>The committed stratified 1,000-image subset of the test split (<c>assets/fashion-mnist-test-1k</c>).</summary>
    Test1k,
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT, © Zalando SE): 28×28 grayscale article images, 60,000 train and
/// 10,000 test, 10 classes. Samples are [1,28,28] in [0,1].
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the IDX files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    public const string SubsetAsset = "fashion-mnist-test-1k";
    public const string SubsetImagesFile = "images-idx3-ubyte.gz";
    public const string SubsetLabelsFile = "labels-idx1-ubyte.gz";
    /// <summary>Seed of the committed subset; changing it changes the committed files.</summary>
    public const ulong SubsetSeed = 20170825;

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Opens a split from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>), which holds
    /// <c>train-images-idx3-ubyte.gz</c>, <c>train-labels-idx1-ubyte.gz</c>, <c>t10k-…</c> (gzip or not).</summary>
    public static IdxDataset Open(FashionMnistSplit split = FashionMnistSplit.Train, string? directory = null)
    {
        if (split == FashionMnistSplit.Test1k)
        {
            if (directory is not null) return OpenSubset(directory);
            return OpenSubset();
        }
        string dir = directory ?? DefaultDirectory;
        string name = "fashion-mnist:" + (split == FashionMnistSplit.Train ? "train" : "test");
        if (!Directory.Exists(dir)) throw MissingFolder(name, dir, isDefault: directory is null);
        string prefix = split == FashionMnistSplit.Train ? "train" : "t10k";
        return IdxDataset.Open(FindFile(dir, $"{prefix}-images-idx3-ubyte"), FindFile(dir, $"{prefix}-labels-idx1-ubyte"), ClassNames, name);
    }

    internal static LowBitException MissingFolder(string name, string dir, bool isDefault) =>
        new(ErrorKind.FileNotFound, $"{name}: folder {dir} does not exist; " + (isDefault
            ? "install it with `apt-get install dataset-fashion-mnist`, or use the committed 1,000-image test subset `fashion-mnist-1k`"
            : "give the folder that holds train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz and their labels"));

    /// <summary>Opens the committed 1,000-image subset (100 per class) of the test split.</summary>
    public static IdxDataset OpenSubset(string? directory = null)
    {
        string dir = directory ?? Assets.Find(SubsetAsset)
            ?? throw new LowBitException(ErrorKind.FileNotFound,
                $"fashion-mnist-1k: assets/{SubsetAsset} not found next to the program or above the current folder");
        return IdxDataset.Open(Path.Combine(dir, SubsetImagesFile), Path.Combine(dir, SubsetLabelsFile), ClassNames, "fashion-mnist-1k");
    }

    private static string FindFile(string dir, string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") })
        {
            string p = Path.Combine(dir, candidate);
            if (File.Exists(p)) return p;
        }
        throw new LowBitException(ErrorKind.FileNotFound, $"{Path.Combine(dir, stem + ".gz")}: file not found");
    }

    /// <summary>
    /// Picks <paramref name="perClass"/> samples of every class: per class, the sample indices in file order are
    /// Fisher–Yates shuffled by SplitMix64 seeded with (<paramref name="seed"/>, class) and the first ones kept; the
    /// chosen indices are returned in ascending order (the source's order, classes interleaved).
    /// </summary>
    public static int[] StratifiedIndices(Dataset source, int perClass, ulong seed)
    {
        if (source.ClassNames is null) throw new ArgumentException($"{source.Name} has no labels to stratify by");
        var chosen = new List<int>();
        for (int c = 0; c < source.ClassNames.Count; c++)
        {
            var members = Enumerable.Range(0, source.Count).Where(i => source.GetLabel(i) == c).ToArray();
            if (members.Length < perClass)
                throw new LowBitException(ErrorKind.InvalidInput, $"{source.Name}: class {c} has {members.Length} samples, fewer than {perClass}");
            new Rng(Rng.Derive(seed, c)).Shuffle(members);
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    /// <summary>
    /// Writes the stratified subset of the Fashion-MNIST test split found in <paramref name="sourceDirectory"/> as
    /// gzip IDX (<see cref="SubsetImagesFile"/>, <see cref="SubsetLabelsFile"/>) into <paramref name="outputDirectory"/>.
    /// Deterministic: the same source, count and seed give the same bytes.
    /// </summary>
    public static void WriteStratifiedSubset(string sourceDirectory, string outputDirectory, int perClass = 100, ulong seed = SubsetSeed)
    {
        var images = Idx.Read(FindFile(sourceDirectory, "t10k-images-idx3-ubyte"));
        var labels = Idx.Read(FindFile(sourceDirectory, "t10k-labels-idx1-ubyte"));
        var test = new IdxDataset("fashion-mnist:test", images, labels, ClassNames);
        var pick = StratifiedIndices(test, perClass, seed);
        int itemBytes = images.ItemLength;
        var outImages = new byte[pick.Length * itemBytes];
        var outLabels = new byte[pick.Length];
        for (int k = 0; k < pick.Length; k++)
        {
            Array.Copy(images.Data, (long)pick[k] * itemBytes, outImages, (long)k * itemBytes, itemBytes);
            outLabels[k] = (byte)test.GetLabel(pick[k]);
        }
        Directory.CreateDirectory(outputDirectory);
        Idx.Write(Path.Combine(outputDirectory, SubsetImagesFile), new IdxArray(IdxType.UInt8, [pick.Length, .. images.Dims[1..]], outImages));
        Idx.Write(Path.Combine(outputDirectory, SubsetLabelsFile), new IdxArray(IdxType.UInt8, [pick.Length], outLabels));
    }
}
