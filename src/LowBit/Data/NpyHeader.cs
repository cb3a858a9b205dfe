using System.Globalization;
using System.Text;
using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>
/// The header of a NumPy <c>.npy</c> file. Layout (all versions):
/// <code>
/// "\x93NUMPY" | major u8 | minor u8 | header_len (u16 LE in v1, u32 LE in v2/v3) | header | data
/// header = "{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }" padded with spaces, ending in '\n',
///          so that 6 + 2 + len-field + header_len is a multiple of 64 (ASCII in v1/v2, UTF-8 in v3)
/// </code>
/// descr = byte order ('&lt;' little, '&gt;' big, '|' not applicable, '=' native) + kind + item size.
/// </summary>
internal sealed record NpyHeader(DType DType, bool BigEndian, bool FortranOrder, long[] Shape)
{
    /// <summary>0x93 then "NUMPY" (a u8 string literal would encode U+0093 as two UTF-8 bytes).</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    /// <summary>Headers larger than this are refused before reading them (NumPy itself refuses over 10 000 bytes).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private static readonly (DType Type, char Kind, int Size)[] Kinds =
    {
        (DType.Float16, 'f', 2), (DType.Float32, 'f', 4), (DType.Float64, 'f', 8),
        (DType.Int8, 'i', 1), (DType.Int16, 'i', 2), (DType.Int32, 'i', 4), (DType.Int64, 'i', 8),
        (DType.UInt8, 'u', 1), (DType.UInt16, 'u', 2), (DType.UInt32, 'u', 4), (DType.UInt64, 'u', 8),
        (DType.Bool, 'b', 1),
    };

    public static bool Supports(DType t) => Kinds.Any(k => k.Type == t);

    public static string Descr(DType t)
    {
        foreach (var (type, kind, size) in Kinds)
            if (type == t) return (size == 1 ? "|" : "<") + kind + size.ToString(CultureInfo.InvariantCulture);
        throw new LowBitException(ErrorKind.InvalidInput,
            $"{t.Name()} tensors cannot be stored in .npy (NumPy has no such dtype); convert to float32 first");
    }

    /// <summary>The header text for a C-order little-endian array, padded so the data starts 64-byte aligned.</summary>
    public static byte[] Format(DType t, IReadOnlyList<int> shape)
    {
        var dims = shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{Descr(t)}', 'fortran_order': False, 'shape': {dims}, }}";
        int lenField = 2;
        int headerLen = PaddedLength(dict.Length, lenField);
        if (headerLen > ushort.MaxValue) headerLen = PaddedLength(dict.Length, lenField = 4);
        int pad = headerLen - dict.Length - 1;
        var bytes = new byte[Magic.Length + 2 + lenField + headerLen];
        Magic.CopyTo(bytes);
        bytes[6] = (byte)(lenField == 2 ? 1 : 2);
        bytes[7] = 0;
        if (lenField == 2) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLen);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLen);
        int at = 8 + lenField;
        Encoding.ASCII.GetBytes(dict, bytes.AsSpan(at));
        bytes.AsSpan(at + dict.Length, pad).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>Header length (dictionary + spaces + '\n') that makes the data offset a multiple of 64.</summary>
    private static int PaddedLength(int dictLength, int lenField)
    {
        int total = Magic.Length + 2 + lenField + dictLength + 1;
        return dictLength + 1 + (64 - total % 64) % 64;
    }

    /// <summary>Parses the header dictionary text (after the length field).</summary>
    public static NpyHeader Parse(string text, string file)
    {
        LowBitException Bad(string why) => new(ErrorKind.InvalidInput, $"{file}: invalid .npy header: {why}");
        Dictionary<string, object> dict;
        try
        {
            var p = new PyLiteralParser(text);
            dict = p.ParseDict();
            p.ExpectEnd();
        }
        catch (FormatException e)
        {
            throw Bad(e.Message);
        }
        foreach (var key in dict.Keys)
            if (key is not ("descr" or "fortran_order" or "shape")) throw Bad($"unexpected key '{key}'");
        if (!dict.TryGetValue("descr", out var d)) throw Bad("no 'descr'");
        if (!dict.TryGetValue("fortran_order", out var f) || f is not bool fortran) throw Bad("no boolean 'fortran_order'");
        if (!dict.TryGetValue("shape", out var s) || s is not List<object> dims || dims.Any(x => x is not long))
            throw Bad("no integer tuple 'shape'");
        if (d is not string descr)
            throw new LowBitException(ErrorKind.InvalidInput, $"{file}: structured (record) dtypes are not supported; save a plain numeric array");
        var (dtype, big) = ParseDescr(descr, file);
        var shape = dims.Cast<long>().ToArray();
        return new NpyHeader(dtype, big, fortran, shape);
    }

    private static (DType, bool BigEndian) ParseDescr(string descr, string file)
    {
        const string supported = "float16/32/64, int8/16/32/64, uint8/16/32/64, bool";
        if (descr.Length >= 3 && descr[0] is '<' or '>' or '|' or '=')
        {
            char order = descr[0], kind = descr[1];
            if (int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            {
                foreach (var (type, k, sz) in Kinds)
                {
                    if (k != kind || sz != size) continue;
                    bool big = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
                    if (order == '|' && size != 1)
                        throw new LowBitException(ErrorKind.InvalidInput, $"{file}: dtype '{descr}' has no byte order but {size}-byte items");
                    return (type, big && size > 1);
                }
            }
        }
        string what = descr.Length > 1 ? descr[1] switch
        {
            'c' => "complex", 'U' => "unicode string", 'S' or 'a' => "byte string", 'O' => "Python object",
            'M' or 'm' => "datetime", 'V' => "raw void", _ => "unknown",
        } : "unknown";
        throw new LowBitException(ErrorKind.InvalidInput, $"{file}: dtype '{descr}' ({what}) is not supported; supported: {supported}");
    }
}

/// <summary>Parses the Python literal subset NumPy writes: dicts, str, True/False, int tuples/lists (ints may end in 'L').</summary>
internal ref struct PyLiteralParser(string text)
{
    private readonly string s = text;
    private int i;

    public Dictionary<string, object> ParseDict()
    {
        Expect('{');
        var d = new Dictionary<string, object>();
        while (true)
        {
            SkipSpace();
            if (Peek() == '}') { i++; return d; }
            if (ParseValue() is not string key) throw new FormatException("dictionary keys must be strings");
            Expect(':');
            if (!d.TryAdd(key, ParseValue())) throw new FormatException($"duplicate key '{key}'");
            SkipSpace();
            if (Peek() == ',') { i++; continue; }
            Expect('}');
            return d;
        }
    }

    public void ExpectEnd()
    {
        SkipSpace();
        if (i != s.Length) throw new FormatException($"unexpected text after the dictionary at offset {i}");
    }

    private object ParseValue()
    {
        SkipSpace();
        char c = Peek();
        if (c is '\'' or '"') return ParseString();
        if (c is '(' or '[') return ParseSequence(c == '(' ? ')' : ']');
        if (c == '{') return ParseDict();
        if (Take("True")) return true;
        if (Take("False")) return false;
        if (char.IsAsciiDigit(c) || c == '-') return ParseInt();
        throw new FormatException($"unexpected '{c}' at offset {i}");
    }

    private List<object> ParseSequence(char close)
    {
        i++;
        var items = new List<object>();
        while (true)
        {
            SkipSpace();
            if (Peek() == close) { i++; return items; }
            items.Add(ParseValue());
            SkipSpace();
            if (Peek() == ',') { i++; continue; }
            Expect(close);
            return items;
        }
    }

    private long ParseInt()
    {
        int start = i;
        if (Peek() == '-') i++;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (!long.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            throw new FormatException($"integer '{s[start..i]}' out of range");
        if (i < s.Length && s[i] is 'L' or 'l') i++;
        return v;
    }

    private string ParseString()
    {
        char q = s[i++];
        int start = i;
        while (i < s.Length && s[i] != q)
        {
            if (s[i] == '\\') throw new FormatException("escape sequences are not supported in header strings");
            i++;
        }
        if (i >= s.Length) throw new FormatException("unterminated string");
        return s[start..i++];
    }

    private bool Take(string word)
    {
        if (string.CompareOrdinal(s, i, word, 0, word.Length) != 0) return false;
        i += word.Length;
        return true;
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek() != c) throw new FormatException($"expected '{c}' at offset {i}");
        i++;
    }

    private char Peek() => i < s.Length ? s[i] : throw new FormatException("header ends early");
    private void SkipSpace() { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }
}
