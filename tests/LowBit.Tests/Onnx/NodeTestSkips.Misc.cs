namespace LowBit.Tests.Onnx;

/// <summary>
/// Node cases of the losses, Unique, TfIdfVectorizer, Det, Shrink and string ops (StringNormalizer, string Cast) that
/// are not run. Every backend case of these ops passes, so there are none; an entry needs a precise reason.
/// </summary>
public static partial class NodeTestSkips
{
    private static readonly Dictionary<string, string> Misc = new();
}
