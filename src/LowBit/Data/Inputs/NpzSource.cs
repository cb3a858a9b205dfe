using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// Samples from <c>.npz</c> archives whose array names are model input names: a folder holds one archive per sample
/// (ordinal file-name order, read on demand); a single archive holds every sample along each array's first dim.
/// Inputs missing from the archives may come from constant feeds (<c>npz=DIR,sr=const:16000</c>). An array whose name is
/// no model input is an error (a typo would otherwise leave an input unfed).
/// </summary>
public sealed class NpzSource : SampleSource
{
    private readonly string[]? files;
    private readonly IReadOnlyDictionary<string, Tensor>? batched;
    private readonly ValueInfo[] fromArchive;
    private readonly (ValueInfo Input, InputFeed Feed)[] constants;

    public override string Name { get; }
    public override int Count { get; }
    public override IReadOnlyList<string> InputNames { get; }

    /// <param name="path">A folder of .npz (one sample each) or one .npz (samples along dim 0).</param>
    /// <param name="inputs">The model's inputs (arrays are matched to them by name).</param>
    /// <param name="needed">Inputs every sample must hold (the others, e.g. streamed state, may be present or not).</param>
    /// <param name="constants">Feeds for inputs the archives do not hold (constants, or folders/files of as many samples).</param>
    public NpzSource(string name, string path, IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string> needed,
        IReadOnlyList<(ValueInfo Input, InputFeed Feed)> constants)
    {
        Name = name;
        this.constants = constants.ToArray();
        IReadOnlyDictionary<string, Tensor> first;
        if (Directory.Exists(path))
        {
            files = Directory.EnumerateFiles(path, "*.npz").Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{name}: no .npz files in {path}");
            first = Npz.Read(files[0]);
            Count = files.Length;
        }
        else if (File.Exists(path))
        {
            batched = first = Npz.Read(path);
            var counts = first.Select(kv => (kv.Key, N: kv.Value.Rank == 0 ? -1 : kv.Value.Shape[0])).ToList();
            if (counts.Any(c => c.N < 0 || c.N != counts[0].N))
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"{name}: a single .npz holds samples along dim 0 of every array, but their first dims differ ({string.Join(", ", counts.Select(c => $"{c.Key}: {(c.N < 0 ? "scalar" : c.N)}"))}); use a folder with one .npz per sample");
            Count = counts[0].N;
        }
        else
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{name}: {path} does not exist");
        }
        foreach (var (input, feed) in constants)
            if (feed.Count is int c && c != Count)
                throw new LowBitException(ErrorKind.InvalidInput, $"{name}: input '{input.Name}' has {c} samples ({feed.Spec}), the archives {Count}");
        var byName = inputs.ToDictionary(v => v.Name, StringComparer.Ordinal);
        string where = files?[0] ?? path;
        foreach (var key in first.Keys)
            if (!byName.ContainsKey(key))
                throw new LowBitException(ErrorKind.InvalidInput, $"{where}: array '{key}' is not a model input; the inputs are: {string.Join(", ", byName.Keys)}");
        var constantNames = constants.Select(c => c.Input.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in first.Keys.Where(constantNames.Contains))
            throw new LowBitException(ErrorKind.Usage, $"{name}: input '{key}' is given twice (array in {where} and {key}=...)");
        foreach (var n in needed.Where(n => !first.ContainsKey(n) && !constantNames.Contains(n)))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{where}: has no array '{n}' ({byName[n].DType.Name()} {byName[n].ShapeString}); add it, or give {n}=const:VALUE in the spec");
        fromArchive = first.Keys.Select(k => byName[k]).ToArray();
        InputNames = fromArchive.Select(v => v.Name).Concat(constantNames).ToArray();
    }

    public override IReadOnlyDictionary<string, Tensor> Read(int index)
    {
        CheckIndex(index);
        var sample = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var arrays = files is null ? batched! : Npz.Read(files[index]);
        string where = files?[index] ?? Name;
        foreach (var input in fromArchive)
        {
            if (!arrays.TryGetValue(input.Name, out var t))
                throw new LowBitException(ErrorKind.InvalidInput, $"{where}: has no array '{input.Name}' (the first archive has one)");
            var value = files is null ? Row(t, index) : t;
            sample[input.Name] = InputFit.Fit(value, input, files is null ? $"{where}:{input.Name}[{index}]" : $"{where}:{input.Name}");
        }
        foreach (var (input, feed) in constants) sample[input.Name] = InputFit.Fit(feed.Read(index), input, feed.Describe(index));
        return sample;
    }

    private static Tensor Row(Tensor t, int index)
    {
        var shape = t.Shape[1..];
        int n = (int)Tensor.ElementCount(shape);
        var data = Array.CreateInstance(t.DType.StorageType(), n);
        Array.Copy(t.Data, (long)index * n, data, 0, n);
        return Tensor.FromStorage(t.DType, data, shape);
    }
}
