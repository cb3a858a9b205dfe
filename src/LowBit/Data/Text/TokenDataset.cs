namespace LowBit.Data.Text;

/// <summary>
/// Fixed-length training sequences cut from a token stream: sequence i covers tokens [i·T, i·T + T] (T + 1 tokens,
/// consecutive sequences share one boundary token); inputs are its first T tokens, targets its last T (the next token
/// at each position). Count = ⌊(L − 1)/T⌋ for a stream of L tokens.
/// </summary>
public sealed class TokenDataset
{
    private readonly int[] tokens;

    public string Name { get; }
    public CharVocabulary Vocabulary { get; }
    public int SequenceLength { get; }
    public int Count { get; }
    /// <summary>The whole token stream of this split.</summary>
    public ReadOnlySpan<int> Tokens => tokens;

    public TokenDataset(string name, CharVocabulary vocabulary, int[] tokens, int sequenceLength)
    {
        if (sequenceLength < 1) throw new LowBitException(ErrorKind.Usage, $"{name}: sequence length {sequenceLength} must be ≥ 1");
        Name = name;
        Vocabulary = vocabulary;
        this.tokens = tokens;
        SequenceLength = sequenceLength;
        Count = Math.Max(0, (tokens.Length - 1) / sequenceLength);
    }

    /// <summary>Writes sequence <paramref name="index"/>'s inputs and next-token targets (T each).</summary>
    public void Read(int index, Span<long> inputs, Span<long> targets)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: sequence {index} is outside [0, {Count})");
        int t = SequenceLength, start = index * t;
        for (int i = 0; i < t; i++)
        {
            inputs[i] = tokens[start + i];
            targets[i] = tokens[start + i + 1];
        }
    }

    public override string ToString() => $"{Name}: {Count} sequences of {SequenceLength} tokens, vocabulary {Vocabulary.Size}";
}
