namespace LowBit.Runtime;

/// <summary>How a <see cref="Session"/> runs.</summary>
public sealed record SessionOptions
{
    /// <summary>Threads kernels may use (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Reuse intermediate buffers once their last reader has run.</summary>
    public bool ReuseBuffers { get; init; } = true;
    /// <summary>Run an optimized copy of the graph: BatchNormalization folded into Conv/ConvTranspose/Gemm, Relu/Clip and
    /// residual Add fused into their producer, constant weights packed once. Runs with hooks, or that request a value the
    /// optimization removed, use the graph as written. The session snapshots its weights on its first optimized run:
    /// after editing initializers in place (training), create a new Session or set this to false.</summary>
    public bool Optimize { get; init; } = true;
    /// <summary>Time every node (<see cref="Session.NodeTimes"/>): one timestamp pair per node, off by default.</summary>
    public bool Profile { get; init; }

    public SessionOptions()
    {
    }

    public SessionOptions(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be at least 1");
        Threads = threads;
    }
}

/// <summary>
/// Called for every value a node produces (and for graph inputs, with a null producer). Return null to keep the value,
/// or a tensor of the same shape to replace it (simulation, fake quantization). The tensor's buffer may be reused once
/// its readers have run: copy what you keep.
/// </summary>
public delegate Tensors.Tensor? ValueHook(string name, Graph.Node? producer, Tensors.Tensor value);
