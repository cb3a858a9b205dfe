using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// One <see cref="InputFeed"/> per model input (<c>npy=x:chunks/,sr=const:16000</c>). Every non-constant feed must hold
/// the same number of samples; sample i is feed[i] of each, fitted to its input (<see cref="InputFit"/>).
/// </summary>
public sealed class FeedSource : SampleSource
{
    private readonly (ValueInfo Input, InputFeed Feed)[] feeds;

    public override string Name { get; }
    public override int Count { get; }
    public override IReadOnlyList<string> InputNames { get; }

    public FeedSource(string name, IReadOnlyList<(ValueInfo Input, InputFeed Feed)> feeds)
    {
        Name = name;
        this.feeds = feeds.ToArray();
        InputNames = feeds.Select(f => f.Input.Name).ToArray();
        var counted = feeds.Where(f => f.Feed.Count is not null).ToList();
        if (counted.Count == 0)
            throw new LowBitException(ErrorKind.Usage, $"{name}: every input is a constant; give at least one folder or .npy file so the number of samples is known");
        Count = counted[0].Feed.Count!.Value;
        foreach (var (input, feed) in counted.Skip(1))
            if (feed.Count != Count)
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"{name}: input '{input.Name}' has {feed.Count} samples ({feed.Spec}), input '{counted[0].Input.Name}' has {Count} ({counted[0].Feed.Spec}); each sample needs a value for every input");
    }

    public override IReadOnlyDictionary<string, Tensor> Read(int index)
    {
        CheckIndex(index);
        var sample = new Dictionary<string, Tensor>(feeds.Length, StringComparer.Ordinal);
        foreach (var (input, feed) in feeds)
            sample[input.Name] = InputFit.Fit(feed.Read(index), input, feed.Describe(index));
        return sample;
    }
}
