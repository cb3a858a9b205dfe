using System.Globalization;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>Where one model input's values come from, sample by sample. Arrays are returned as stored (dtype and shape);
/// <see cref="FeedSource"/> fits them to the input.</summary>
public abstract class InputFeed
{
    /// <summary>Samples it holds; null for a constant (it fits any count).</summary>
    public abstract int? Count { get; }

    /// <summary>The spec text of this feed, e.g. "chunks/" or "const:16000".</summary>
    public abstract string Spec { get; }

    public abstract Tensor Read(int index);

    /// <summary>What sample <paramref name="index"/> is called in messages (the file, or file[index]).</summary>
    public abstract string Describe(int index);

    /// <summary>A feed from its spec text: <c>const:VALUE</c>, a folder of .npy files (one sample each, ordinal name order)
    /// or one .npy file (samples along dim 0).</summary>
    public static InputFeed Parse(string spec, ValueInfo input)
    {
        if (spec.StartsWith("const:", StringComparison.Ordinal)) return new Const(spec, input);
        if (Directory.Exists(spec)) return new Folder(spec);
        if (File.Exists(spec)) return new Batched(spec);
        throw new LowBitException(ErrorKind.FileNotFound, $"{input.Name}={spec}: no such file or folder (give a folder of .npy, a .npy file or const:VALUE)");
    }

    /// <summary>The same value for every sample: a scalar, or the input's fixed shape filled with it.</summary>
    private sealed class Const : InputFeed
    {
        private readonly Tensor value;
        public override int? Count => null;
        public override string Spec { get; }

        public Const(string spec, ValueInfo input)
        {
            Spec = spec;
            string text = spec["const:".Length..];
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw new LowBitException(ErrorKind.Usage, $"{input.Name}={spec}: '{text}' is not a number");
            var dtype = input.DType == DType.Undefined ? DType.Float32 : input.DType;
            if ((dtype.IsInteger() || dtype == DType.Bool) && v != Math.Floor(v))
                throw new LowBitException(ErrorKind.Usage, $"{input.Name}={spec}: input '{input.Name}' is {dtype.Name()}; {text} is not an integer");
            if (input.Shape is { } s && s.Any(d => d.Value is null))
                throw new LowBitException(ErrorKind.Usage, $"{input.Name}={spec}: input '{input.Name}' has shape {input.ShapeString}; a constant needs every dim fixed (give a folder of .npy instead)");
            var shape = input.Shape?.Select(d => checked((int)d.Value!.Value)).ToArray() ?? [];
            value = Tensor.Zeros(dtype, shape);
            for (int i = 0; i < value.Length; i++) value.SetDouble(i, v);
        }

        public override Tensor Read(int index) => value;
        public override string Describe(int index) => Spec;
    }

    private sealed class Folder : InputFeed
    {
        private readonly string[] files;
        public override int? Count => files.Length;
        public override string Spec { get; }

        public Folder(string dir)
        {
            Spec = dir;
            files = Directory.EnumerateFiles(dir, "*.npy").Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{dir}: no .npy files in the folder");
        }

        public override Tensor Read(int index) => Npy.Read(files[index]);
        public override string Describe(int index) => files[index];
    }

    /// <summary>One array, sample i = a[i] (its first dim is the sample dim).</summary>
    private sealed class Batched : InputFeed
    {
        private readonly Tensor all;
        private readonly int[] sampleShape;
        private readonly int sampleLength;
        public override int? Count => all.Shape[0];
        public override string Spec { get; }

        public Batched(string file)
        {
            Spec = file;
            all = Npy.Read(file);
            if (all.Rank == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{file}: a scalar has no sample dimension (use const:VALUE for a constant)");
            sampleShape = all.Shape[1..];
            sampleLength = (int)Tensor.ElementCount(sampleShape);
        }

        public override Tensor Read(int index)
        {
            var data = Array.CreateInstance(all.DType.StorageType(), sampleLength);
            Array.Copy(all.Data, (long)index * sampleLength, data, 0, sampleLength);
            return Tensor.FromStorage(all.DType, data, sampleShape);
        }

        public override string Describe(int index) => $"{Spec}[{index}]";
    }
}
