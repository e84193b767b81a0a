using System.Threading.Channels;
using EmAlign.Volumes;

namespace EmAlign.FrontEnds;

/// <summary>
/// Runs an engine call on a worker thread while the calling thread shows its progress. PowerShell allows
/// Write-Progress (and every other Write*) only on the pipeline thread, and engines report from worker
/// threads, so reports are throttled where they arise and queued to the caller, which drains the queue
/// until the work ends.
/// </summary>
internal static class EngineCall
{
    /// <summary>
    /// Runs <paramref name="work"/> and returns its result (or rethrows its exception as is). <paramref name="show"/>
    /// is called on the calling thread only. If <paramref name="show"/> throws (the pipeline is stopping), the work is
    /// cancelled and waited for, so nothing keeps writing in the background, and the exception propagates.
    /// </summary>
    public static T Run<T>(Func<IProgress<ProgressInfo>, CancellationToken, T> work, Action<ProgressInfo> show,
        ProgressThrottle throttle, CancellationToken ct)
    {
        var queue = Channel.CreateUnbounded<ProgressInfo>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reporter = new QueueingProgress(queue.Writer, throttle);
        var task = Task.Run(() =>
        {
            try { return work(reporter, stop.Token); }
            finally { queue.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            while (queue.Reader.WaitToReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
                while (queue.Reader.TryRead(out var p)) show(p);
        }
        catch
        {
            stop.Cancel();
            try { task.Wait(CancellationToken.None); }
            catch (AggregateException) { /* the caller's failure is the one to report */ }
            throw;
        }
        return task.GetAwaiter().GetResult();
    }

    private sealed class QueueingProgress(ChannelWriter<ProgressInfo> writer, ProgressThrottle throttle) : IProgress<ProgressInfo>
    {
        // TryWrite fails only after the work has returned; a straggler from a parallel loop is then dropped.
        public void Report(ProgressInfo value)
        {
            if (throttle.ShouldShow(value)) writer.TryWrite(value);
        }
    }
}
