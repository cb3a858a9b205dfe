using System.Text;
using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Tensors;

namespace LowBit.Tests.Data.Text;

public class TextCorpusTests
{
    [Fact]
    public void Load_SmallText_SplitsLastTenPercentAndTargetsAreNextCharacters()
    {
        using var tmp = new TempDir();
        var text = string.Concat(Enumerable.Repeat("abcdefghij", 10));  // 100 characters
        File.WriteAllText(tmp.File("t.txt"), text);
        var corpus = TextCorpus.Load(tmp.File("t.txt"), new TextOptions(sequenceLength: 4));
        Assert.Equal(10, corpus.Vocabulary.Size);
        Assert.Equal(90, corpus.Train.Tokens.Length);
        Assert.Equal(10, corpus.Validation!.Tokens.Length);
        Assert.Equal((90 - 1) / 4, corpus.Train.Count);
        Assert.Equal((10 - 1) / 4, corpus.Validation.Count);
        var inputs = new long[4];
        var targets = new long[4];
        corpus.Train.Read(1, inputs, targets);
        Assert.Equal("efgh", corpus.Vocabulary.Decode(inputs));
        Assert.Equal("fghi", corpus.Vocabulary.Decode(targets));
    }

    [Fact]
    public void Load_InvalidUtf8_OneLineErrorNamingTheByteOffset()
    {
        using var tmp = new TempDir();
        var bytes = Encoding.UTF8.GetBytes("héllo wörld").Concat(new byte[] { 0xC3, 0x28 }).Concat("tail"u8.ToArray()).ToArray();
        File.WriteAllBytes(tmp.File("bad.txt"), bytes);
        var e = Assert.Throws<LowBitException>(() => TextCorpus.Load(tmp.File("bad.txt"), new TextOptions(2)));
        Assert.Contains("byte 13", e.Message);  // "héllo wörld" is 13 bytes in UTF-8
        Assert.Contains(tmp.File("bad.txt"), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Load_TooShortForOneSequence_FailsSayingWhy()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("s.txt"), "short");
        var e = Assert.Throws<LowBitException>(() => TextCorpus.Load(tmp.File("s.txt"), new TextOptions(16, 0)));
        Assert.Contains("too few", e.Message);
    }

    [Fact]
    public void Batches_ShuffledEpoch_AreInt64AndDeterministic()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("t.txt"), string.Concat(Enumerable.Range(0, 400).Select(i => (char)('a' + i % 26))));
        var train = ((TextSpec)DataSpec.Parse($"text={tmp.File("t.txt")},seq=8,val=0")).OpenText().Train;
        var options = new BatchOptions(5, shuffle: true, seed: 3);
        var a = new TokenBatcher(train, options).Epoch().ToList();
        var b = new TokenBatcher(train, options).Epoch().ToList();
        Assert.Equal(a.SelectMany(x => x.SequenceIndices), b.SelectMany(x => x.SequenceIndices));
        Assert.Equal(DType.Int64, a[0].Inputs.DType);
        Assert.Equal(new[] { 5, 8 }, a[0].Targets.Shape);
        var inp = a[0].Inputs.ToInt64Array();
        var tgt = a[0].Targets.ToInt64Array();
        for (int i = 0; i < 7; i++) Assert.Equal(inp[i + 1], tgt[i]);
    }

    /// <summary>All of Debian's English fortunes (≈2.5 MB, 113 distinct characters in fortune-mod 1.99).</summary>
    [RequiresPathFact("/usr/share/games/fortunes/fortunes", "install them with apt-get install fortunes")]
    public void Load_DebianFortunes_SplitsMegabytesIntoSequences()
    {
        using var tmp = new TempDir();
        var files = Directory.GetFiles("/usr/share/games/fortunes").Where(f => Path.GetExtension(f) is not (".dat" or ".u8")).Order();
        File.WriteAllBytes(tmp.File("all.txt"), files.SelectMany(File.ReadAllBytes).ToArray());
        var corpus = TextCorpus.Load(tmp.File("all.txt"), new TextOptions(128));
        Assert.InRange(corpus.Vocabulary.Size, 60, 300);
        int total = corpus.Train.Tokens.Length + corpus.Validation!.Tokens.Length;
        Assert.True(total > 1_000_000, $"{total} characters");
        Assert.Equal(Math.Round(0.1 * total), corpus.Validation.Tokens.Length);
        Assert.Equal((corpus.Train.Tokens.Length - 1) / 128, corpus.Train.Count);
    }
}
