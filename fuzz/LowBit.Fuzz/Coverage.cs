using System.Runtime.InteropServices;
using SharpFuzz.Common;

namespace LowBit.Fuzz;

/// <summary>
/// Edge coverage from SharpFuzz's instrumentation: every instrumented branch does
/// <c>SharedMem[cur ⊕ prev]++; prev = cur ≫ 1</c> on a 64 KiB map (AFL's scheme). After each run the hit counts are
/// bucketed (1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+ → one bit each) and compared with the union of all buckets seen:
/// an input is interesting when it sets a bucket bit no earlier input set.
/// </summary>
internal sealed unsafe class Coverage : IDisposable
{
    public const int MapSize = 1 << 16;
    private readonly byte* map;
    private readonly byte[] seen = new byte[MapSize];
    private static readonly byte[] Bucket = MakeBuckets();

    public int EdgesSeen { get; private set; }

    public Coverage()
    {
        map = (byte*)NativeMemory.AllocZeroed(MapSize);
        Trace.SharedMem = map;
    }

    public void Reset()
    {
        new Span<byte>(map, MapSize).Clear();
        Trace.PrevLocation = 0;
    }

    /// <summary>Edges (indices) hit by the last run, for corpus minimisation.</summary>
    public List<int> HitEdges()
    {
        var edges = new List<int>();
        var words = new ReadOnlySpan<ulong>(map, MapSize / 8);
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w] == 0) continue;
            for (int i = 8 * w; i < 8 * w + 8; i++) if (map[i] != 0) edges.Add(i);
        }
        return edges;
    }

    /// <summary>Merges the last run into the seen buckets; true when it added any bucket bit.</summary>
    public bool MergeNew()
    {
        bool added = false;
        var words = new ReadOnlySpan<ulong>(map, MapSize / 8);
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w] == 0) continue;
            for (int i = 8 * w; i < 8 * w + 8; i++)
            {
                byte b = Bucket[map[i]];
                if ((seen[i] | b) == seen[i]) continue;
                if (seen[i] == 0) EdgesSeen++;
                seen[i] |= b;
                added = true;
            }
        }
        return added;
    }

    private static byte[] MakeBuckets()
    {
        var t = new byte[256];
        for (int c = 1; c < 256; c++)
            t[c] = (byte)(c switch { 1 => 1, 2 => 2, 3 => 4, <= 7 => 8, <= 15 => 16, <= 31 => 32, <= 127 => 64, _ => 128 });
        return t;
    }

    public void Dispose()
    {
        Trace.SharedMem = null;
        NativeMemory.Free(map);
    }
}
