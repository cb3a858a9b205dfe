using System.IO.Compression;
using LowBit.Data;

namespace LowBit.Tests.Data;

public class FashionMnistTests
{
    private const string Install = "install it with apt-get install dataset-fashion-mnist";

    [RequiresPathFact(FashionMnist.DefaultDirectory, Install)]
    public void Open_InstalledDataset_Has60000TrainAnd10000TestWithLabelsInRange()
    {
        foreach (var (split, count) in new[] { (FashionMnistSplit.Train, 60000), (FashionMnistSplit.Test, 10000) })
        {
            var ds = FashionMnist.Open(split);
            Assert.Equal(count, ds.Count);
            Assert.Equal(new[] { 1, 28, 28 }, ds.SampleShape);
            Assert.Equal(FashionMnist.ClassNames, ds.ClassNames);
            var perClass = new int[10];
            for (int i = 0; i < ds.Count; i++) perClass[ds.GetLabel(i)]++;
            // Both splits are balanced: 6,000 / 1,000 per class.
            Assert.All(perClass, c => Assert.Equal(count / 10, c));
            var s = new float[784];
            ds.ReadSample(0, s);
            Assert.All(s, v => Assert.InRange(v, 0f, 1f));
            Assert.True(s.Max() > 0.5f, "first image is blank");
        }
    }

    [Fact]
    public void Open_MissingFolder_IsFileNotFoundNamingIt()
    {
        var e = Assert.Throws<LowBitException>(() => FashionMnist.Open(FashionMnistSplit.Test, "/nonexistent/fmnist"));
        Assert.Contains("folder /nonexistent/fmnist does not exist", e.Message);
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
    }

    [Fact]
    public void MissingFolder_DefaultLocation_SaysHowToInstallOrUseTheSubset()
    {
        var e = FashionMnist.MissingFolder("fashion-mnist:train", FashionMnist.DefaultDirectory, isDefault: true);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("fashion-mnist-1k", e.Message);
    }

    [Fact]
    public void OpenSubset_CommittedAsset_IsStratified100PerClass()
    {
        var ds = FashionMnist.OpenSubset();
        Assert.Equal(1000, ds.Count);
        Assert.Equal(new[] { 1, 28, 28 }, ds.SampleShape);
        var perClass = new int[10];
        for (int i = 0; i < ds.Count; i++) perClass[ds.GetLabel(i)]++;
        Assert.All(perClass, c => Assert.Equal(100, c));
        Assert.Equal(1000, DataSpec.Open("fashion-mnist-1k").Count);
    }

    [RequiresPathFact(FashionMnist.DefaultDirectory, Install)]
    public void WriteStratifiedSubset_Rerun_ReproducesTheCommittedFilesFromTheTestSplit()
    {
        using var tmp = new TempDir();
        FashionMnist.WriteStratifiedSubset(FashionMnist.DefaultDirectory, tmp.Path);
        foreach (var f in new[] { FashionMnist.SubsetImagesFile, FashionMnist.SubsetLabelsFile })
            Assert.True(Gunzip(Path.Combine(RepoPaths.Asset(FashionMnist.SubsetAsset), f)).SequenceEqual(Gunzip(Path.Combine(tmp.Path, f))), f);

        // Every subset image is a test image with the same label.
        var test = FashionMnist.Open(FashionMnistSplit.Test);
        var subset = FashionMnist.OpenSubset(tmp.Path);
        var pick = FashionMnist.StratifiedIndices(test, 100, FashionMnist.SubsetSeed);
        Assert.Equal(pick.Order(), pick);
        var a = new float[784];
        var b = new float[784];
        foreach (int k in new[] { 0, 499, 999 })
        {
            test.ReadSample(pick[k], a);
            subset.ReadSample(k, b);
            Assert.Equal(a, b);
            Assert.Equal(test.GetLabel(pick[k]), subset.GetLabel(k));
        }
    }

    [Fact]
    public void StratifiedIndices_OtherSeed_PicksOtherSamplesButStaysBalanced()
    {
        var labels = Enumerable.Range(0, 300).Select(i => (byte)(i % 3)).ToArray();
        var ds = new IdxDataset("t", new IdxArray(IdxType.UInt8, [300], new byte[300]), new IdxArray(IdxType.UInt8, [300], labels));
        var a = FashionMnist.StratifiedIndices(ds, 10, 1);
        Assert.Equal(a, FashionMnist.StratifiedIndices(ds, 10, 1));
        Assert.NotEqual(a, FashionMnist.StratifiedIndices(ds, 10, 2));
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(10, a.Count(i => labels[i] == c)));
    }

    private static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }
}
