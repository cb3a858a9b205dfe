using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// Binds a data spec to model inputs. <c>needed</c> are the inputs each sample must hold: every model input except those
/// fed elsewhere (streamed state). A spec of one input kind (images, idx, fashion-mnist, npy=PATH) binds to the single
/// needed input; <c>npy=NAME:PATH(,NAME=SOURCE)*</c> and <c>npz=PATH(,NAME=SOURCE)*</c> bind by name.
/// </summary>
internal static class SpecInputs
{
    public static List<ValueInfo> Needed(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere) =>
        inputs.Where(v => fedElsewhere is null || !fedElsewhere.Contains(v.Name)).ToList();

    /// <summary>The one input a single-input spec feeds.</summary>
    public static ValueInfo Single(DataSpec spec, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere)
    {
        var needed = Needed(inputs, fedElsewhere);
        return needed.Count switch
        {
            1 => needed[0],
            0 => throw new LowBitException(ErrorKind.InvalidInput, $"{spec}: the model has no inputs left to feed data to"),
            _ => throw new LowBitException(ErrorKind.InvalidInput,
                $"{spec}: this data feeds one input; the model has {needed.Count}: {string.Join(", ", needed.Select(v => v.Name))} " +
                "(give one source per input: npy=NAME:DIR,NAME=DIR|FILE.npy|const:VALUE, or npz=DIR with one array per input name)"),
        };
    }

    public static SampleSource OpenDataset(DataSpec spec, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere)
    {
        var input = Single(spec, inputs, fedElsewhere);
        int[]? sampleShape;
        try { sampleShape = DataValidation.SampleShapeFor(input); }
        catch (LowBitException) { sampleShape = null; }
        return SampleSource.FromDataset(spec.Open(sampleShape), input);
    }

    public static SampleSource OpenNpy(NpySpec spec, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere)
    {
        var byName = ByName(spec, inputs);
        var feeds = Extra(spec, spec.Inputs, byName);
        string head = spec.Path;
        // NAME:PATH when NAME is a model input (longest match: names may hold ':'), unless the whole text is an existing path.
        string? headName = File.Exists(head) || Directory.Exists(head) ? null
            : byName.Keys.Where(n => head.StartsWith(n + ":", StringComparison.Ordinal)).OrderByDescending(n => n.Length).FirstOrDefault();
        ValueInfo target;
        if (headName is not null)
        {
            target = byName[headName];
            head = head[(headName.Length + 1)..];
        }
        else
        {
            var open = Needed(inputs, fedElsewhere).Where(v => !feeds.Any(f => f.Input.Name == v.Name)).ToList();
            if (open.Count != 1)
                throw new LowBitException(ErrorKind.Usage, open.Count == 0
                    ? $"{spec}: every input already has a source; name the input {head} feeds: npy=NAME:{head}"
                    : $"{spec}: the model has inputs {string.Join(", ", open.Select(v => v.Name))}; name the one {head} feeds: npy=NAME:{head} (the others as ,NAME=SOURCE)");
            target = open[0];
        }
        if (feeds.Any(f => f.Input.Name == target.Name))
            throw new LowBitException(ErrorKind.Usage, $"{spec}: input '{target.Name}' is given twice");
        if (spec.Labels is not null && feeds.Count > 0)
            throw new LowBitException(ErrorKind.Usage, $"{spec}: labels= applies to single-input data");
        feeds.Insert(0, (target, InputFeed.Parse(head, target)));
        CheckCovered(spec, inputs, fedElsewhere, feeds.Select(f => f.Input.Name));
        return new FeedSource(spec.ToString(), feeds);
    }

    public static SampleSource OpenNpz(NpzSpec spec, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere)
    {
        var feeds = Extra(spec, spec.Inputs, ByName(spec, inputs));
        return new NpzSource(spec.ToString(), spec.Path, inputs, Needed(inputs, fedElsewhere).Select(v => v.Name).ToList(), feeds);
    }

    private static Dictionary<string, ValueInfo> ByName(DataSpec spec, IReadOnlyList<ValueInfo> inputs)
    {
        if (inputs.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{spec}: the model has no inputs to feed data to");
        return inputs.ToDictionary(v => v.Name, StringComparer.Ordinal);
    }

    private static List<(ValueInfo Input, InputFeed Feed)> Extra(DataSpec spec, IReadOnlyList<KeyValuePair<string, string>> extra, Dictionary<string, ValueInfo> byName)
    {
        var feeds = new List<(ValueInfo, InputFeed)>();
        foreach (var (name, source) in extra)
        {
            if (!byName.TryGetValue(name, out var input))
                throw new LowBitException(ErrorKind.Usage, $"{spec}: '{name}' is not a model input; the inputs are: {string.Join(", ", byName.Keys)}");
            feeds.Add((input, InputFeed.Parse(source, input)));
        }
        return feeds;
    }

    private static void CheckCovered(DataSpec spec, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere, IEnumerable<string> fed)
    {
        var have = fed.ToHashSet(StringComparer.Ordinal);
        foreach (var v in Needed(inputs, fedElsewhere).Where(v => !have.Contains(v.Name)))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{spec}: input '{v.Name}' ({v.DType.Name()} {v.ShapeString}) has no data; add ,{v.Name}=DIR|FILE.npy|const:VALUE" +
                (v.Shape is { } s && s.All(d => d.Value is not null) && s.Length > 1 ? $", or feed it back from an output with --stream OUTPUT={v.Name}" : ""));
    }
}
