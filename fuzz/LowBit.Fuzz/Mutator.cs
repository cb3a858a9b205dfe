using System.Buffers.Binary;
using System.Text;

namespace LowBit.Fuzz;

/// <summary>
/// Havoc-style mutations: each child is a corpus entry with 1–8 stacked edits (bit flips, interesting 8/16/32-bit
/// values in both byte orders, small arithmetic, block delete/duplicate/insert, dictionary tokens, a splice with another
/// entry). Sizes stay ≤ the target's maximum so a run's cost stays bounded.
/// </summary>
internal sealed class Mutator(Random rng, int maxLength, IReadOnlyList<string> dictionary)
{
    private static readonly int[] Interesting = [0, 1, -1, 2, 7, 8, 16, 32, 64, 100, 127, 128, 255, 256, 1000, 1024, 4096, 32767,
        32768, 65535, 65536, 100_000, int.MaxValue, int.MinValue, 0x7FFF_FFFE];
    private readonly byte[][] tokens = dictionary.Select(Encoding.Latin1.GetBytes).ToArray();

    public byte[] Mutate(byte[] parent, IReadOnlyList<byte[]> corpus)
    {
        var b = new List<byte>(parent);
        int edits = 1 << rng.Next(4);
        for (int e = 0; e < edits; e++) Edit(b, corpus);
        if (b.Count > maxLength) b.RemoveRange(maxLength, b.Count - maxLength);
        return b.ToArray();
    }

    private void Edit(List<byte> b, IReadOnlyList<byte[]> corpus)
    {
        int n = b.Count;
        switch (rng.Next(n == 0 ? 1 : 11))
        {
            case 0: Insert(b, rng.Next(n + 1), RandomBytes(1 + rng.Next(8))); break;
            case 1: b[rng.Next(n)] ^= (byte)(1 << rng.Next(8)); break;
            case 2: b[rng.Next(n)] = (byte)rng.Next(256); break;
            case 3: b[rng.Next(n)] = (byte)(b[rng.Next(n)] + rng.Next(-16, 17)); break;
            case 4: PutInt(b, Interesting[rng.Next(Interesting.Length)]); break;
            case 5: { int at = rng.Next(n), len = 1 + rng.Next(Math.Min(n - at, 32)); b.RemoveRange(at, len); break; }
            case 6: { int at = rng.Next(n), len = 1 + rng.Next(Math.Min(n - at, 64)); Insert(b, rng.Next(n + 1), b.GetRange(at, len).ToArray()); break; }
            case 7: case 8:
                if (tokens.Length > 0)
                {
                    var t = tokens[rng.Next(tokens.Length)];
                    if (rng.Next(2) == 0) Insert(b, rng.Next(n + 1), t);
                    else Overwrite(b, rng.Next(n), t);
                }
                break;
            case 9:
            {
                var other = corpus[rng.Next(corpus.Count)];
                if (other.Length == 0) break;
                int at = rng.Next(other.Length), len = 1 + rng.Next(Math.Min(other.Length - at, 64));
                Overwrite(b, rng.Next(n), other.AsSpan(at, len).ToArray());
                break;
            }
            default:
            {
                var other = corpus[rng.Next(corpus.Count)];
                int cut = rng.Next(n + 1), from = rng.Next(other.Length + 1);
                b.RemoveRange(cut, n - cut);
                b.AddRange(other.AsSpan(from).ToArray());
                break;
            }
        }
    }

    private void PutInt(List<byte> b, int v)
    {
        int width = 1 << rng.Next(3);
        Span<byte> s = stackalloc byte[4];
        if (rng.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(s, v);
        else BinaryPrimitives.WriteInt32BigEndian(s, v << (8 * (4 - width)));
        Overwrite(b, rng.Next(b.Count), s[..width].ToArray());
    }

    private static void Insert(List<byte> b, int at, byte[] bytes) => b.InsertRange(at, bytes);

    private static void Overwrite(List<byte> b, int at, byte[] bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
            if (at + i < b.Count) b[at + i] = bytes[i];
            else b.Add(bytes[i]);
    }

    private byte[] RandomBytes(int n)
    {
        var r = new byte[n];
        rng.NextBytes(r);
        return r;
    }
}
