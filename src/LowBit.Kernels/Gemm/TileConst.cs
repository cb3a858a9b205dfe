namespace LowBit.Kernels.Gemm;

/// <summary>
/// A compile-time integer for generic micro-kernels: instantiated over these structs, <c>T.N</c> is a JIT constant,
/// so one source yields every edge-tile variant (rows × vectors) with the unused accumulators compiled away.
/// </summary>
internal interface ITileConst
{
    static abstract int N { get; }
}

internal struct T1 : ITileConst { public static int N => 1; }
internal struct T2 : ITileConst { public static int N => 2; }
internal struct T3 : ITileConst { public static int N => 3; }
internal struct T4 : ITileConst { public static int N => 4; }
internal struct T5 : ITileConst { public static int N => 5; }
internal struct T6 : ITileConst { public static int N => 6; }
internal struct T7 : ITileConst { public static int N => 7; }
internal struct T8 : ITileConst { public static int N => 8; }
