using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace LowBit.Data.Text;

/// <summary>Options of a character-level text corpus: sequence length T and the fraction of the text (its end) held
/// out for validation.</summary>
public sealed record TextOptions
{
    public int SequenceLength { get; }
    public double ValidationFraction { get; }

    public TextOptions(int sequenceLength = 128, double validationFraction = 0.1)
    {
        if (sequenceLength < 1) throw new LowBitException(ErrorKind.Usage, $"seq={sequenceLength} must be ≥ 1");
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new LowBitException(ErrorKind.Usage, $"val={validationFraction} must be in [0, 1)");
        SequenceLength = sequenceLength;
        ValidationFraction = validationFraction;
    }
}

/// <summary>
/// A UTF-8 text file as character tokens: the vocabulary of the whole file, the first (1 − f) of the characters for
/// training and the last f for validation (f = <see cref="TextOptions.ValidationFraction"/>; split at
/// L − round(f·L) of L characters).
/// </summary>
public sealed class TextCorpus
{
    public string Path { get; }
    public CharVocabulary Vocabulary { get; }
    public TokenDataset Train { get; }
    /// <summary>Null when the validation fraction is 0.</summary>
    public TokenDataset? Validation { get; }

    private TextCorpus(string path, CharVocabulary vocabulary, TokenDataset train, TokenDataset? validation)
    {
        Path = path;
        Vocabulary = vocabulary;
        Train = train;
        Validation = validation;
    }

    public static TextCorpus Load(string path, TextOptions? options = null, CharVocabulary? vocabulary = null)
    {
        options ??= new TextOptions();
        string name = "text=" + path;
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"{name}: file {path} does not exist");
        string text = DecodeUtf8(File.ReadAllBytes(path), path);
        var vocab = vocabulary ?? CharVocabulary.Build(text);
        int[] ids;
        try { ids = vocab.Encode(text); }
        catch (LowBitException e) { throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {e.Message}"); }
        int t = options.SequenceLength;
        int val = (int)Math.Round(options.ValidationFraction * ids.Length);
        int trainLength = ids.Length - val;
        if (trainLength < t + 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {trainLength} training characters are too few for one sequence of {t} (+1 target)");
        if (val > 0 && val < t + 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {val} validation characters are too few for one sequence of {t} (+1 target); lower seq or raise val");
        var train = new TokenDataset(name + ":train", vocab, ids[..trainLength], t);
        var validation = val > 0 ? new TokenDataset(name + ":validation", vocab, ids[trainLength..], t) : null;
        return new TextCorpus(path, vocab, train, validation);
    }

    /// <summary>Strict UTF-8 decode (a leading BOM is dropped); the first invalid sequence is an error naming its byte
    /// offset.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string path)
    {
        int bom = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        bytes = bytes[bom..];
        var chars = new char[bytes.Length];
        var status = Utf8.ToUtf16(bytes, chars, out int read, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            int offset = bom + read;
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{path}: not valid UTF-8 at byte {offset} (0x{bytes[Math.Min(read, bytes.Length - 1)]:X2}); convert it, e.g. iconv -f latin1 -t utf-8");
        }
        return new string(chars, 0, written);
    }
}
