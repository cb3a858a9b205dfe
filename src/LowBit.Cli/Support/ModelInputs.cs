using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Where an input tensor came from, for reports: <see cref="Source"/> is "file" (then <see cref="File"/> is set)
/// or "random" (then <see cref="Seed"/> is set).</summary>
internal sealed record InputReport(string Name, string Dtype, int[] Shape, string Source, string? File, int? Seed);

/// <summary>How to make the model's inputs: files given with --input, random data for the rest with --random.</summary>
internal sealed record InputRequest(
    IReadOnlyList<string> Files, bool Random, int Seed, IReadOnlyList<string> Dims, int? Batch = null);

/// <summary>
/// Builds input tensors from <c>--input NAME=FILE.npy</c> (a single-input model may omit <c>NAME=</c>), or random data of the
/// declared shape (<c>--random</c>; dynamic dims from <c>--dim</c> by name or position, see <see cref="DimSizes"/>, default 1). Random values: floats uniform in
/// [-1, 1), integers uniform in [0, 10), bools fair coin, all from one generator seeded with <c>--seed</c>.
/// Every tensor is checked against the declared dtype and shape before any engine sees it.
/// </summary>
internal static class ModelInputs
{
    public static Dictionary<string, Tensor> Build(Graph.Graph g, InputRequest request, out List<InputReport> reports)
    {
        var declared = g.Inputs.ToDictionary(v => v.Name);
        var dims = DimSizes.Parse(request.Dims, g);
        var tensors = new Dictionary<string, Tensor>();
        reports = new List<InputReport>();
        var files = new Dictionary<string, string>();

        foreach (var spec in request.Files)
        {
            var (name, file) = SplitSpec(spec, g);
            if (tensors.ContainsKey(name))
                throw new LowBitException(ErrorKind.Usage, $"--input {spec}: input '{name}' is given twice");
            var t = Npy.Read(file);
            Check(declared[name], t, $"--input {spec}");
            tensors[name] = t;
            files[name] = file;
        }
        var rng = new Random(request.Seed);
        foreach (var v in g.Inputs)
        {
            if (tensors.ContainsKey(v.Name)) continue;
            if (!request.Random)
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"missing input '{v.Name}' ({v.DType.Name()} {v.ShapeString}); give --input {v.Name}=FILE.npy or --random");
            tensors[v.Name] = RandomTensor(v, ShapeFor(v, dims, request.Batch), rng);
        }
        foreach (var v in g.Inputs)
        {
            var t = tensors[v.Name];
            reports.Add(files.TryGetValue(v.Name, out var f)
                ? new InputReport(v.Name, t.DType.Name(), t.Shape, "file", Format.FullPath(f), null)
                : new InputReport(v.Name, t.DType.Name(), t.Shape, "random", null, request.Seed));
        }
        return tensors;
    }

    /// <summary>NAME=FILE when NAME is a model input; otherwise the whole spec is a file for a single-input model.</summary>
    private static (string Name, string File) SplitSpec(string spec, Graph.Graph g)
    {
        int eq = spec.IndexOf('=');
        if (eq > 0 && g.Inputs.Any(v => v.Name == spec[..eq])) return (spec[..eq], spec[(eq + 1)..]);
        string names = string.Join(", ", g.Inputs.Select(v => v.Name));
        if (g.Inputs.Count == 1 && (eq <= 0 || File.Exists(spec))) return (g.Inputs[0].Name, spec);
        if (eq > 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"--input {spec}: the model has no input '{spec[..eq]}'; its inputs are: {names}");
        throw new LowBitException(ErrorKind.Usage,
            g.Inputs.Count == 0 ? $"--input {spec}: the model takes no inputs"
                : $"--input {spec}: the model has {g.Inputs.Count} inputs, so name it: --input NAME={spec} (inputs: {names})");
    }

    public static void Check(ValueInfo v, Tensor t, string what)
    {
        if (v.NonTensorType is not null)
            throw new LowBitException(ErrorKind.InvalidInput, $"{what}: input '{v.Name}' is a {v.NonTensorType}, which LowBit cannot feed (tensors only)");
        if (v.DType != DType.Undefined && t.DType != v.DType)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{what}: input '{v.Name}' expects {v.DType.Name()} {v.ShapeString}, the file holds {t.DType.Name()} {t.ShapeString}" +
                $" (in NumPy: np.save(path, a.astype(np.{v.DType.Name()})))");
        if (!v.Accepts(t.Shape))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{what}: input '{v.Name}' expects shape {v.ShapeString}, the file holds {t.ShapeString}");
    }

    /// <summary>Declared shape with dynamic dims resolved (--dim, else 1) and the first dim set to the batch if given.</summary>
    public static int[] ShapeFor(ValueInfo v, DimSizes dims, int? batch)
    {
        if (v.Shape is null)
            throw new LowBitException(ErrorKind.InvalidInput, $"input '{v.Name}' has no declared shape; give --input {v.Name}=FILE.npy");
        var shape = new int[v.Shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = dims.SizeOf(v, i);
        }
        if (batch is int b && shape.Length > 0) shape[0] = b;
        return shape;
    }

    private static Tensor RandomTensor(ValueInfo v, int[] shape, Random rng)
    {
        if (v.NonTensorType is not null || v.DType is DType.Undefined or DType.String)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"input '{v.Name}' ({(v.NonTensorType ?? v.DType.Name())}) cannot be filled with random data; give --input {v.Name}=FILE.npy");
        var t = Tensor.Zeros(v.DType, shape);
        bool isFloat = v.DType.IsFloat();
        for (int i = 0; i < t.Length; i++)
            t.SetDouble(i, v.DType == DType.Bool ? rng.Next(2) : isFloat ? rng.NextDouble() * 2 - 1 : rng.Next(10));
        return t;
    }
}
