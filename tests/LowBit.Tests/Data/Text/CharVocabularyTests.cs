using LowBit.Data.Text;

namespace LowBit.Tests.Data.Text;

public class CharVocabularyTests
{
    [Fact]
    public void Build_AnyCharacterOrder_GivesSortedCodePointIds()
    {
        var a = CharVocabulary.Build("banana");
        var b = CharVocabulary.Build("nab");
        Assert.Equal(new[] { 'a', 'b', 'n' }.Select(c => (int)c), a.CodePoints);
        Assert.Equal(a.CodePoints, b.CodePoints);
        Assert.Equal(new[] { 1, 0, 2, 0, 2, 0 }, a.Encode("banana"));
    }

    [Fact]
    public void ToJsonFromJson_WithAstralCharacters_RoundTrips()
    {
        var v = CharVocabulary.Build("a😀\n é");
        var back = CharVocabulary.FromJson(v.ToJson());
        Assert.Equal(v.CodePoints, back.CodePoints);
        Assert.Equal("é😀a", back.Decode(back.Encode("é😀a")));
        Assert.Equal(5, v.Size);  // '\n', ' ', 'a', 'é', U+1F600 (one token, two UTF-16 units)
    }

    [Fact]
    public void FromJson_UnsortedOrForeignJson_IsRejected()
    {
        Assert.Throws<LowBit.LowBitException>(() => CharVocabulary.FromJson("{\"kind\":\"char\",\"codepoints\":[98,97]}"));
        Assert.Throws<LowBit.LowBitException>(() => CharVocabulary.FromJson("{\"kind\":\"bpe\",\"codepoints\":[97]}"));
        Assert.Throws<LowBit.LowBitException>(() => CharVocabulary.FromJson("not json"));
    }

    [Fact]
    public void Encode_UnknownCharacter_NamesItAndItsOffset()
    {
        var e = Assert.Throws<LowBit.LowBitException>(() => CharVocabulary.Build("ab").Encode("abz"));
        Assert.Contains("U+007A at offset 2", e.Message);
    }
}
