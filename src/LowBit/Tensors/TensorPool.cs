namespace LowBit.Tensors;

/// <summary>
/// Reuses storage arrays between the intermediate values of a session. A session installs its pool as
/// <see cref="Current"/> on the thread that runs the graph; <see cref="Tensor.Empty"/> rents from it.
/// Only arrays this pool handed out are ever taken back, so user inputs and initializers are never recycled.
/// </summary>
internal sealed class TensorPool
{
    [ThreadStatic] private static TensorPool? current;
    public static TensorPool? Current { get => current; set => current = value; }

    private readonly Dictionary<(Type, int), Stack<Array>> free = new();
    private readonly HashSet<Array> owned = new(ReferenceEqualityComparer.Instance);

    /// <summary>Lengths are rounded up to a power of two (≥ 64) so buffers fit many shapes.</summary>
    private static int Bucket(int length) => length <= 64 ? 64 : (int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length), (uint)Array.MaxLength);

    public Array Rent(DType dtype, int length)
    {
        var type = dtype.StorageType();
        if (type == typeof(string)) return new string[length];
        int bucket = Bucket(length);
        if (free.TryGetValue((type, bucket), out var stack) && stack.Count > 0) return stack.Pop();
        var a = Array.CreateInstance(type, bucket);
        owned.Add(a);
        return a;
    }

    public bool Owns(Array a) => owned.Contains(a);

    /// <summary>Returns an array to the pool; ignored for arrays this pool did not create.</summary>
    public void Return(Array a)
    {
        if (!owned.Contains(a)) return;
        var key = (a.GetType().GetElementType()!, a.Length);
        if (!free.TryGetValue(key, out var stack)) free[key] = stack = new Stack<Array>();
        stack.Push(a);
    }

    /// <summary>Forgets an array (it escaped to the caller as an output) so it is never handed out again.</summary>
    public void Disown(Array a) => owned.Remove(a);

    public long RetainedBytes()
    {
        long b = 0;
        foreach (var ((t, len), s) in free) b += (long)len * s.Count * (t == typeof(double) || t == typeof(long) || t == typeof(ulong) ? 8 : t == typeof(float) || t == typeof(int) || t == typeof(uint) ? 4 : t == typeof(Half) || t == typeof(short) || t == typeof(ushort) ? 2 : 1);
        return b;
    }
}
