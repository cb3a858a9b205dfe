using LowBit.Tensors;

namespace LowBit.Nn;

/// <summary>Layer helpers: each emits ONNX nodes (opset 21) and its parameters, and returns the output value name.
/// Layouts: activations NCHW; Conv weight [out, in/group, k, k]; Gemm weight [out, in] (transB = 1, as PyTorch Linear);
/// MatMul weight [in, out] for rank-3 token tensors [N, T, D].</summary>
public sealed partial class GraphBuilder
{
    /// <summary>Conv with square kernel, "same" padding k/2 by default; Kaiming normal weights (fan_in = in/group·k²), zero bias.</summary>
    public string Conv(string x, int inChannels, int outChannels, int kernel, int stride = 1, int? pad = null, int group = 1,
        bool bias = true, string name = "conv", double gain = 1.4142135623730951)
    {
        if (inChannels % group != 0 || outChannels % group != 0)
            throw new ArgumentException($"conv {name}: channels {inChannels}→{outChannels} are not divisible by group {group}");
        int p = pad ?? kernel / 2;
        string n = UniqueName(name);
        string w = KaimingNormal(n, "weight", inChannels / group * kernel * kernel, [outChannels, inChannels / group, kernel, kernel], gain);
        var inputs = new List<string> { x, w };
        if (bias) inputs.Add(Zeros(n, "bias", outChannels));
        var node = Graph.Add("Conv", inputs.ToArray(), [n], n);
        node.With("kernel_shape", new long[] { kernel, kernel }).With("strides", new long[] { stride, stride })
            .With("pads", new long[] { p, p, p, p }).With("group", (long)group);
        return n;
    }

    /// <summary>BatchNormalization: scale 1, bias 0, running mean 0, running var 1. ONNX momentum m updates
    /// running = m·running + (1 − m)·batch (m = 0.9 is PyTorch's momentum 0.1).</summary>
    public string BatchNorm(string x, int channels, string name = "bn", float epsilon = 1e-5f, float momentum = 0.9f)
    {
        string n = UniqueName(name);
        string scale = Ones(n, "scale", channels), b = Zeros(n, "bias", channels);
        string mean = Zeros(n, "running_mean", channels), var = Ones(n, "running_var", channels);
        Graph.Add("BatchNormalization", [x, scale, b, mean, var], [n], n).With("epsilon", epsilon).With("momentum", momentum);
        return n;
    }

    /// <summary>LayerNormalization over the last axis: scale 1, bias 0.</summary>
    public string LayerNorm(string x, int dim, string name = "ln", float epsilon = 1e-5f)
    {
        string n = UniqueName(name);
        string scale = Ones(n, "scale", dim), b = Zeros(n, "bias", dim);
        Graph.Add("LayerNormalization", [x, scale, b], [n], n).With("axis", -1L).With("epsilon", epsilon);
        return n;
    }

    /// <summary>Gemm y = x·Wᵀ + b for x [N, in]; W [out, in] Kaiming normal with <paramref name="gain"/>, b zeros.</summary>
    public string Linear(string x, int inFeatures, int outFeatures, string name = "fc", double gain = 1.4142135623730951)
    {
        string n = UniqueName(name);
        string w = KaimingNormal(n, "weight", inFeatures, [outFeatures, inFeatures], gain);
        string b = Zeros(n, "bias", outFeatures);
        Graph.Add("Gemm", [x, w, b], [n], n).With("transB", 1L);
        return n;
    }

    /// <summary>y = x·W (+ b) for x [..., in] (MatMul then Add); W [in, out] truncated normal with <paramref name="std"/>.
    /// The MatMul value is <c>{name}.matmul</c>, the sum <c>{name}</c>.</summary>
    public string Dense(string x, int inFeatures, int outFeatures, string name = "dense", double std = 0.02, bool bias = true)
    {
        string n = UniqueName(name);
        string w = TruncatedNormal(n, "weight", [inFeatures, outFeatures], std);
        if (!bias)
        {
            Graph.Add("MatMul", [x, w], [n], n);
            return n;
        }
        string mm = Reserve(n + ".matmul");
        Graph.Add("MatMul", [x, w], [mm], mm);
        string b = Zeros(n, "bias", outFeatures);
        Graph.Add("Add", [mm, b], [n], n);
        return n;
    }

    public string Relu(string x, string name = "relu") => Op("Relu", name, [x]);

    /// <summary>ReLU6 = Clip(x, 0, 6) (MobileNetV2).</summary>
    public string Relu6(string x, string name = "relu6") => Op("Clip", name, [x, Scalar(0f), Scalar(6f)]);

    /// <summary>Exact (erf) GELU, opset ≥ 20.</summary>
    public string Gelu(string x, string name = "gelu") => Op("Gelu", name, [x]);

    public string MaxPool(string x, int kernel, int stride, int pad = 0, string name = "maxpool") =>
        Op("MaxPool", name, [x], ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }),
            ("pads", new long[] { pad, pad, pad, pad }));

    public string GlobalAveragePool(string x, string name = "gap") => Op("GlobalAveragePool", name, [x]);

    public string Flatten(string x, int axis = 1, string name = "flatten") => Op("Flatten", name, [x], ("axis", (long)axis));

    /// <summary>Dropout with constant ratio; identity in inference (no training_mode input: the session decides).</summary>
    public string Dropout(string x, float ratio, string name = "dropout") => Op("Dropout", name, [x, Scalar(ratio)]);

    public string Add(string a, string b, string name = "add") => Op("Add", name, [a, b]);

    public string Mul(string a, string b, string name = "mul") => Op("Mul", name, [a, b]);

    public string MatMul(string a, string b, string name = "matmul") => Op("MatMul", name, [a, b]);

    public string Softmax(string x, int axis = -1, string name = "softmax") => Op("Softmax", name, [x], ("axis", (long)axis));

    /// <summary>Reshape to a constant shape (0 copies the input dim, −1 is inferred).</summary>
    public string Reshape(string x, long[] shape, string name = "reshape") => Op("Reshape", name, [x, Ints(shape)]);

    public string Transpose(string x, long[] perm, string name = "transpose") => Op("Transpose", name, [x], ("perm", perm));

    public string Concat(int axis, string[] inputs, string name = "concat") => Op("Concat", name, inputs, ("axis", (long)axis));

    public string Slice(string x, long[] starts, long[] ends, long[] axes, string name = "slice") =>
        Op("Slice", name, [x, Ints(starts), Ints(ends), Ints(axes)]);

    public string Gather(string data, string indices, int axis = 0, string name = "gather") =>
        Op("Gather", name, [data, indices], ("axis", (long)axis));
}
