using Microsoft.ML.Tokenizers;

namespace LowBit.Data.Text;

/// <summary>
/// A BERT-style WordPiece vocabulary file (<c>vocab.txt</c>: one token per line, id = line number, continuation pieces
/// prefixed <c>##</c>), encoded with Microsoft.ML.Tokenizers' BERT tokenizer (lower-casing, whitespace and punctuation
/// pre-split, greedy longest-match pieces, <c>[UNK]</c> for words it cannot piece together; no [CLS]/[SEP] added: the
/// text is cut into plain windows). Used by <c>text=FILE,vocab=vocab.txt</c>.
/// </summary>
internal static class WordPieceVocabulary
{
    public static bool Handles(string path) => path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token ids of <paramref name="text"/>; a file that is not a usable vocabulary is an error naming it.</summary>
    public static long[] Encode(string path, string text)
    {
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"vocab={path}: file not found");
        BertTokenizer tokenizer;
        try
        {
            tokenizer = BertTokenizer.Create(path);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"vocab={path}: not a WordPiece vocabulary ({e.Message})");
        }
        var ids = tokenizer.EncodeToIds(text, addSpecialTokens: false);
        var result = new long[ids.Count];
        for (int i = 0; i < result.Length; i++) result[i] = ids[i];
        return result;
    }
}
