using LowBit.Data;
using LowBit.Data.Text;

namespace LowBit.Tests.Data;

public class DataSpecTests
{
    [Theory]
    [InlineData("fashion-mnist", "fashion-mnist:train")]
    [InlineData("fashion-mnist:test", "fashion-mnist:test")]
    [InlineData("fashion-mnist:test=/data/fm", "fashion-mnist:test=/data/fm")]
    [InlineData("fashion-mnist-1k", "fashion-mnist-1k")]
    [InlineData("fashion-mnist:test1k", "fashion-mnist-1k")]
    [InlineData("idx=a.gz,labels=b.gz,classes=10", "idx=a.gz,labels=b.gz,classes=10")]
    [InlineData("images=photos/,preset=imagenet-bgr-mean,size=224", "images=photos/,preset=imagenet-bgr-mean,size=224")]
    [InlineData("images=my,dir,crop=none,size=32", "images=my,dir,preset=unit,size=32,crop=none")]
    [InlineData("images=p,crops=100,seed=7", "images=p,preset=unit,size=224,crops=100,seed=7")]
    [InlineData("npy=x.npy,labels=y.npy", "npy=x.npy,labels=y.npy")]
    [InlineData("random", "random:64")]
    [InlineData("random:8,seed=3", "random:8,seed=3")]
    [InlineData(" text=corpus.txt ", "text=corpus.txt,seq=128,val=0.1")]
    public void Parse_ValidSpec_GivesCanonicalString(string spec, string canonical)
    {
        var parsed = DataSpec.Parse(spec);
        Assert.Equal(canonical, parsed.ToString());
        Assert.Equal(parsed, DataSpec.Parse(canonical));
    }

    [Fact]
    public void Parse_TypedRecords_CarryTheOptions()
    {
        var images = Assert.IsType<ImageFolderSpec>(DataSpec.Parse("images=photos/,preset=imagenet-bgr-mean,size=224"));
        Assert.Equal(("photos/", ImagePreset.ImagenetBgrMean, 224), (images.Directory, images.Options.Preset, images.Options.Size));
        var text = Assert.IsType<TextSpec>(DataSpec.Parse("text=c.txt,seq=32,val=0.2"));
        Assert.Equal((32, 0.2), (text.Options.SequenceLength, text.Options.ValidationFraction));
        Assert.Equal(new FashionMnistSpec(FashionMnistSplit.Test), DataSpec.Parse("fashion-mnist:test"));
    }

    [Theory]
    [InlineData("mnist", "unknown data kind 'mnist'")]
    [InlineData("", "empty data spec")]
    [InlineData("images=p,colour=rgb", "unknown option 'colour' for images; known: preset, size, crop, crops, seed")]
    [InlineData("images=p,preset=caffe", "unknown image preset 'caffe'")]
    [InlineData("images=p,size=0", "size=0")]
    [InlineData("images=p,preset=imagenet-bgr-mean,size=160", "size=224")]
    [InlineData("images", "images needs a path: images=DIR")]
    [InlineData("fashion-mnist:valid", "unknown fashion-mnist split 'valid'")]
    [InlineData("random:0", "N must be a positive integer")]
    [InlineData("random=5", "write random:N")]
    [InlineData("idx=a,classes=x", "classes=x")]
    [InlineData("text=c.txt,val=1.5", "val=1.5")]
    [InlineData("npy=a,labels=b,labels=c", "given twice")]
    [InlineData("fashion-mnist-1k,seed=1", "takes no options")]
    public void Parse_BadSpec_IsUsageErrorSayingWhy(string spec, string expected)
    {
        var e = Assert.Throws<LowBitException>(() => DataSpec.Parse(spec));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Parse_UnknownKind_ListsEveryKnownKind()
    {
        var e = Assert.Throws<LowBitException>(() => DataSpec.Parse("cifar10=x"));
        foreach (var kind in new[] { "fashion-mnist[", "fashion-mnist-1k", "idx=", "images=", "npy=", "random[", "text=" })
            Assert.Contains(kind, e.Message);
    }

    [Theory]
    [InlineData("idx=/nonexistent/i.gz")]
    [InlineData("images=/nonexistent/photos")]
    [InlineData("npy=/nonexistent/x.npy")]
    [InlineData("fashion-mnist:test=/nonexistent/fm")]
    public void Open_MissingPath_IsFileNotFoundNamingThePath(string spec)
    {
        var e = Assert.Throws<LowBitException>(() => DataSpec.Open(spec));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
        Assert.Contains("/nonexistent/", e.Message);
    }

    [Fact]
    public void Open_MissingTextFile_IsFileNotFoundNamingThePath()
    {
        var spec = Assert.IsType<TextSpec>(DataSpec.Parse("text=/nonexistent/c.txt"));
        var e = Assert.Throws<LowBitException>(() => spec.OpenText());
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
        Assert.Contains("/nonexistent/c.txt", e.Message);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => spec.Open()).Kind);
    }

    [Fact]
    public void Open_Random_TakesTheModelSampleShapeOrSaysItNeedsOne()
    {
        var ds = DataSpec.Open("random:5,seed=2", [3, 4, 4]);
        Assert.Equal(5, ds.Count);
        Assert.Equal(new[] { 3, 4, 4 }, ds.SampleShape);
        Assert.Contains("sample shape", Assert.Throws<LowBitException>(() => DataSpec.Open("random")).Message);
    }
}
