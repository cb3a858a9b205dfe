using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Tests.Data.Inputs;

public class TextWindowSourceTests
{
    private static readonly ValueInfo[] Tokens = [ValueInfo.Of("tokens", DType.Int64, 1, 4)];

    [Fact]
    public void OpenInputs_TextWithCharListVocab_Int64WindowsOfTheInputLength()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("v.json"), "[\"c\", \"a\", \"b\", \"\\n\"]");
        File.WriteAllText(tmp.File("t.txt"), "abca\nabcab");
        var src = DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("v.json")}", Tokens);
        Assert.Equal(2, src.Count); // 10 tokens → two windows of 4
        var w = src.Read(1)["tokens"];
        Assert.Equal(DType.Int64, w.DType);
        Assert.Equal([1, 4], w.Shape);
        Assert.Equal([3L, 1, 2, 0], w.ToInt64Array()); // "\nabc"
    }

    [Fact]
    public void OpenInputs_WordPieceVocabTxt_EncodesWordsAndPiecesWithUnknown()
    {
        using var tmp = new TempDir();
        // id = line: [UNK]=0 the=1 cat=2 play=3 ##ing=4 .=5, then the special tokens a BERT vocabulary has
        File.WriteAllText(tmp.File("vocab.txt"), "[UNK]\nthe\ncat\nplay\n##ing\n.\n[CLS]\n[SEP]\n[PAD]\n[MASK]\n");
        File.WriteAllText(tmp.File("t.txt"), "The cat playing. the dog cat");
        var src = DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("vocab.txt")}", Tokens);
        Assert.Equal(2, src.Count); // the cat play ##ing | . the [UNK] cat: lower-cased, "." split off, 8 tokens
        Assert.Equal([1L, 2, 3, 4], src.Read(0)["tokens"].ToInt64Array());
        Assert.Equal([5L, 1, 0, 2], src.Read(1)["tokens"].ToInt64Array());
        File.WriteAllText(tmp.File("bad.txt"), "the\ncat\n");
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("bad.txt")}", Tokens));
        Assert.StartsWith($"vocab={tmp.File("bad.txt")}: not a WordPiece vocabulary", e.Message);
    }

    [Fact]
    public void OpenInputs_CharOutsideVocab_ErrorNamesCharAndLine()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("v.json"), "[\"a\", \"b\", \"\\n\"]");
        File.WriteAllText(tmp.File("t.txt"), "abab\nabzab");
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("v.json")}", Tokens));
        Assert.Equal($"{tmp.File("t.txt")}: line 2: character 'z' (U+007A) is not in the vocabulary {tmp.File("v.json")} and it has no unknown token", e.Message);
    }

    [Fact]
    public void OpenInputs_UnknownTokenInVocab_MapsOutsideCharacters()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("v.json"), "{\"<unk>\": 0, \"a\": 1}");
        File.WriteAllText(tmp.File("t.txt"), "azaa");
        var w = DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("v.json")}", Tokens).Read(0)["tokens"];
        Assert.Equal([1L, 0, 1, 1], w.ToInt64Array());
    }

    [Fact]
    public void OpenInputs_TextForFloatInput_Refused()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("v.json"), "[\"a\"]");
        File.WriteAllText(tmp.File("t.txt"), "aaaa");
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"text={tmp.File("t.txt")},vocab={tmp.File("v.json")}", [ValueInfo.Of("x", DType.Float32, 1, 4)]));
        Assert.Contains("gives integer token ids; input 'x' takes float32 [1,4]", e.Message);
    }
}
