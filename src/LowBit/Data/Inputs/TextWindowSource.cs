using System.Text;
using System.Text.Json;
using LowBit.Data.Text;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// Token windows for a character-level model given its vocabulary: the text is encoded one character (Unicode scalar)
/// at a time and cut into consecutive non-overlapping windows of T tokens, T = the input's fixed last dim, else seq=.
/// Vocabulary files: a JSON list of strings (id = position, each one character), a JSON object {"char": id}, or LowBit's
/// own char vocabulary ({"kind":"char",...}). A character outside the vocabulary maps to an unknown token when the
/// vocabulary has one ("&lt;unk&gt;", "[UNK]", "&lt;UNK&gt;"), else is an error naming it and its line. A <c>.txt</c>
/// vocabulary is a WordPiece tokenizer file (<see cref="WordPieceVocabulary"/>): words, not characters, become tokens.
/// </summary>
public sealed class TextWindowSource : SampleSource
{
    private static readonly string[] UnknownTokens = ["<unk>", "[UNK]", "<UNK>"];
    private readonly long[] tokens;
    private readonly int window;
    private readonly ValueInfo input;

    public override string Name { get; }
    public override int Count { get; }
    public override IReadOnlyList<string> InputNames => [input.Name];

    private TextWindowSource(string name, long[] tokens, int window, ValueInfo input)
    {
        Name = name;
        this.tokens = tokens;
        this.window = window;
        this.input = input;
        Count = tokens.Length / window;
    }

    public static TextWindowSource Open(TextSpec spec, ValueInfo input)
    {
        if (!(input.DType.IsInteger()))
            throw new LowBitException(ErrorKind.InvalidInput, $"{spec}: gives integer token ids; input '{input.Name}' takes {input.DType.Name()} {input.ShapeString}");
        int window = input.Shape is { Length: > 0 } s && s[^1].Value is long t ? checked((int)t) : spec.Options.SequenceLength;
        if (!File.Exists(spec.Path)) throw new LowBitException(ErrorKind.FileNotFound, $"{spec}: file {spec.Path} does not exist");
        string text = TextCorpus.DecodeUtf8(File.ReadAllBytes(spec.Path), spec.Path);
        var ids = WordPieceVocabulary.Handles(spec.Vocab!) ? WordPieceVocabulary.Encode(spec.Vocab!, text) : EncodeCharacters(spec, text);
        if (ids.Length < window)
            throw new LowBitException(ErrorKind.InvalidInput, $"{spec.Path}: {ids.Length} tokens are fewer than one window of {window} (input '{input.Name}' {input.ShapeString})");
        return new TextWindowSource(spec.ToString(), ids, window, input);
    }

    private static long[] EncodeCharacters(TextSpec spec, string text)
    {
        var vocab = LoadVocabulary(spec.Vocab!);
        var ids = new List<long>(text.Length);
        int? unk = UnknownTokens.Select(u => vocab.TryGetValue(u, out int id) ? id : (int?)null).FirstOrDefault(id => id is not null);
        int line = 1;
        foreach (var r in text.EnumerateRunes())
        {
            if (vocab.TryGetValue(r.ToString(), out int id)) ids.Add(id);
            else if (unk is int u) ids.Add(u);
            else
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"{spec.Path}: line {line}: character '{r}' (U+{r.Value:X4}) is not in the vocabulary {spec.Vocab} and it has no unknown token");
            if (r.Value == '\n') line++;
        }
        return ids.ToArray();
    }

    /// <summary>Token text → id.</summary>
    public static Dictionary<string, int> LoadVocabulary(string path)
    {
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"vocab={path}: file not found");
        string json = File.ReadAllText(path, Encoding.UTF8);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var e in root.EnumerateArray())
                {
                    string tok = e.GetString() ?? throw new LowBitException(ErrorKind.InvalidInput, $"vocab={path}: entry {i} is null");
                    map.TryAdd(tok, i++);
                }
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out _))
            {
                var cv = CharVocabulary.FromJson(json);
                for (int i = 0; i < cv.Size; i++) map[cv.Symbol(i)] = i;
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in root.EnumerateObject()) map[p.Name] = p.Value.GetInt32();
            }
            else throw new LowBitException(ErrorKind.InvalidInput, $"vocab={path}: expected a JSON list of characters or an object {{\"char\": id}}");
            if (map.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"vocab={path}: the vocabulary is empty");
            return map;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"vocab={path}: not a vocabulary file ({e.Message})");
        }
    }

    public override IReadOnlyDictionary<string, Tensor> Read(int index)
    {
        CheckIndex(index);
        var t = Tensor.FromArray(tokens.AsSpan(index * window, window).ToArray(), window);
        return new Dictionary<string, Tensor>(1) { [input.Name] = InputFit.Fit(t, input, $"{Name} window {index}") };
    }
}
