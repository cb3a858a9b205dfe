namespace LowBit.Onnx.Ops;

/// <summary>
/// Activation functions of the recurrent ops, by ONNX name (case-insensitive). activation_alpha/activation_beta are
/// consumed in order by the functions that take them; a missing value takes the function's default.
/// </summary>
internal static class RnnActivations
{
    public static Func<float, float>[] Resolve(string op, string[]? names, float[]? alpha, float[]? beta, string[] defaults, int dirs)
    {
        var list = names ?? Enumerable.Range(0, dirs).SelectMany(_ => defaults).ToArray();
        // A single-direction list given for a bidirectional op applies to both directions.
        if (names is not null && names.Length == defaults.Length && dirs == 2) list = names.Concat(names).ToArray();
        if (list.Length != defaults.Length * dirs)
            throw new ArgumentException($"{op}: {list.Length} activations given, {defaults.Length * dirs} expected");
        int ai = 0, bi = 0;
        float A(float dflt) => alpha is not null && ai < alpha.Length ? alpha[ai++] : dflt;
        float B(float dflt) => beta is not null && bi < beta.Length ? beta[bi++] : dflt;
        var fs = new Func<float, float>[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            switch (list[i].ToLowerInvariant())
            {
                case "sigmoid": fs[i] = x => 1f / (1f + MathF.Exp(-x)); break;
                case "tanh": fs[i] = MathF.Tanh; break;
                case "relu": fs[i] = x => Math.Max(x, 0f); break;
                case "softsign": fs[i] = x => x / (1 + Math.Abs(x)); break;
                case "softplus": fs[i] = x => x > 20 ? x : MathF.Log(1 + MathF.Exp(x)); break;
                case "affine": { float a = A(1f), b = B(0f); fs[i] = x => a * x + b; break; }
                case "leakyrelu": { float a = A(0.01f); fs[i] = x => x >= 0 ? x : a * x; break; }
                case "thresholdedrelu": { float a = A(1f); fs[i] = x => x > a ? x : 0; break; }
                case "scaledtanh": { float a = A(1f), b = B(1f); fs[i] = x => a * MathF.Tanh(b * x); break; }
                case "hardsigmoid": { float a = A(0.2f), b = B(0.5f); fs[i] = x => Math.Clamp(a * x + b, 0f, 1f); break; }
                case "elu": { float a = A(1f); fs[i] = x => x >= 0 ? x : a * (MathF.Exp(x) - 1); break; }
                default: throw new ArgumentException($"{op}: unknown activation '{list[i]}'");
            }
        }
        return fs;
    }
}
