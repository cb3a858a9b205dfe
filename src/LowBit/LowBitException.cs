namespace LowBit;

/// <summary>Classes of user-facing failure; each maps to a distinct CLI exit code (docs/cli.md).</summary>
public enum ErrorKind
{
    /// <summary>Bad command-line usage (unknown flag, missing argument).</summary>
    Usage = 2,
    /// <summary>A file that does not exist or cannot be read.</summary>
    FileNotFound = 3,
    /// <summary>Bytes that are not a valid ONNX model (truncated, not protobuf, inconsistent tensors, cycles).</summary>
    InvalidModel = 4,
    /// <summary>An operator (type, domain, opset) LowBit does not implement.</summary>
    UnsupportedOp = 5,
    /// <summary>Inputs or data that do not fit the model (shape, dtype, NaN, unknown name).</summary>
    InvalidInput = 6,
    /// <summary>A path that escapes the model folder (external data) or would overwrite the input.</summary>
    UnsafePath = 7,
    /// <summary>A numerical failure while running (e.g. a loss that became NaN).</summary>
    Numerical = 8,
    /// <summary>Work stopped by the user (Ctrl-C).</summary>
    Cancelled = 130,
}

/// <summary>An error caused by the user's input. The message is one line and names the file, node or flag.</summary>
public class LowBitException(ErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
}
