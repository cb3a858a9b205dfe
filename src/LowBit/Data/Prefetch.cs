using System.Threading.Channels;

namespace LowBit.Data;

/// <summary>
/// Produces items 0..count−1 in order on one background task, at most <c>depth</c> finished items ahead of the
/// consumer (a bounded channel), so loading overlaps the consumer's compute. Items do not depend on timing: the
/// producer is sequential. A producer exception is rethrown to the consumer; leaving the loop early stops the producer.
/// </summary>
internal static class Prefetch
{
    public static IEnumerable<T> Run<T>(int count, Func<int, T> produce, int depth)
    {
        if (depth <= 0)
        {
            for (int i = 0; i < count; i++) yield return produce(i);
            yield break;
        }
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(depth)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var cts = new CancellationTokenSource();
        var token = cts.Token;
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    token.ThrowIfCancellationRequested();
                    await channel.Writer.WriteAsync(produce(i), token).ConfigureAwait(false);
                }
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        });
        try
        {
            while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (channel.Reader.TryRead(out var item))
                    yield return item;
        }
        finally
        {
            cts.Cancel();
            try { producer.Wait(); }
            catch (AggregateException) { }
        }
    }
}
