using System.Text;
using System.Text.Json;

namespace LowBit.Data.Text;

/// <summary>
/// A character vocabulary: the distinct Unicode scalar values of a text in ascending code-point order, token id =
/// position. Sorting makes the ids a function of the character set alone (stable across runs and file order).
/// Serialized as JSON <c>{"kind":"char","codepoints":[10,32,…]}</c> so a trained model can decode its outputs.
/// </summary>
public sealed class CharVocabulary
{
    private readonly int[] codePoints;
    private readonly Dictionary<int, int> ids;

    public IReadOnlyList<int> CodePoints => codePoints;
    public int Size => codePoints.Length;

    public CharVocabulary(IEnumerable<int> codePoints)
    {
        this.codePoints = codePoints.Distinct().Order().ToArray();
        foreach (int cp in this.codePoints)
            if (!Rune.IsValid(cp)) throw new ArgumentException($"U+{cp:X4} is not a Unicode scalar value");
        ids = new Dictionary<int, int>(this.codePoints.Length);
        for (int i = 0; i < this.codePoints.Length; i++) ids[this.codePoints[i]] = i;
    }

    public static CharVocabulary Build(string text) => new(text.EnumerateRunes().Select(r => r.Value));

    /// <summary>The symbol of token <paramref name="id"/> as a string (one or two UTF-16 units).</summary>
    public string Symbol(int id) => new Rune(codePoints[id]).ToString();

    public bool TryGetId(Rune r, out int id) => ids.TryGetValue(r.Value, out id);

    /// <summary>Token ids of <paramref name="text"/>; a character outside the vocabulary is an error naming it.</summary>
    public int[] Encode(string text)
    {
        var result = new List<int>(text.Length);
        int offset = 0;
        foreach (var r in text.EnumerateRunes())
        {
            if (!ids.TryGetValue(r.Value, out int id))
                throw new LowBitException(ErrorKind.InvalidInput, $"character U+{r.Value:X4} at offset {offset} is not in the vocabulary");
            result.Add(id);
            offset += r.Utf16SequenceLength;
        }
        return result.ToArray();
    }

    public string Decode(ReadOnlySpan<long> tokens)
    {
        var sb = new StringBuilder(tokens.Length);
        foreach (long t in tokens)
        {
            if ((ulong)t >= (ulong)codePoints.Length) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {t} is outside [0, {codePoints.Length})");
            sb.Append(new Rune(codePoints[t]).ToString());
        }
        return sb.ToString();
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var wide = new long[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) wide[i] = tokens[i];
        return Decode(wide);
    }

    public string ToJson() => JsonSerializer.Serialize(new Stored("char", codePoints));

    public static CharVocabulary FromJson(string json)
    {
        Stored? s;
        try { s = JsonSerializer.Deserialize<Stored>(json); }
        catch (JsonException e) { throw new LowBitException(ErrorKind.InvalidInput, $"vocabulary: not valid JSON ({e.Message})"); }
        if (s is null || s.kind != "char" || s.codepoints is null)
            throw new LowBitException(ErrorKind.InvalidInput, "vocabulary: expected {\"kind\":\"char\",\"codepoints\":[...]}");
        if (!s.codepoints.SequenceEqual(s.codepoints.Distinct().Order()))
            throw new LowBitException(ErrorKind.InvalidInput, "vocabulary: code points must be strictly ascending");
        try { return new CharVocabulary(s.codepoints); }
        catch (ArgumentException e) { throw new LowBitException(ErrorKind.InvalidInput, $"vocabulary: {e.Message}"); }
    }

    public void Save(string path) => Onnx.AtomicFile.WriteAllText(path, ToJson());

    public static CharVocabulary Load(string path)
    {
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"{path}: file not found");
        return FromJson(File.ReadAllText(path));
    }

    private sealed record Stored(string kind, int[] codepoints);
}
