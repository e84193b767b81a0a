using EmAlign.Diagnostics;
using EmAlign.FrontEnds;
using EmAlign.PowerShell.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.PowerShell.Tests.Adapters;

public class EngineCallTests
{
    private static ProgressThrottle Unthrottled => new(TimeSpan.Zero);

    [Fact]
    public void ProgressIsShownOnTheCallingThreadAndTheResultReturned()
    {
        int caller = Environment.CurrentManagedThreadId;
        var shownOn = new List<int>();
        var shown = new List<long>();
        int worker = -1;
        var result = EngineCall.Run((progress, ct) =>
        {
            worker = Environment.CurrentManagedThreadId;
            for (int i = 0; i <= 10; i++) progress.Report(new ProgressInfo("work", "", i, 10));
            return 42;
        }, p => { shownOn.Add(Environment.CurrentManagedThreadId); shown.Add(p.Done); }, Unthrottled, CancellationToken.None);

        Assert.Equal(42, result);
        Assert.NotEqual(caller, worker);
        Assert.All(shownOn, id => Assert.Equal(caller, id));
        Assert.Equal(Enumerable.Range(0, 11).Select(i => (long)i), shown);
    }

    [Fact]
    public void ReportsAreThrottledBeforeTheyAreQueued()
    {
        var clock = new ManualClock();
        var shown = new List<long>();
        EngineCall.Run((progress, ct) =>
        {
            for (int i = 0; i <= 1000; i++) progress.Report(new ProgressInfo("work", "", i, 1000));
            return 0;
        }, p => shown.Add(p.Done), new ProgressThrottle(TimeSpan.FromMilliseconds(250), clock), CancellationToken.None);
        Assert.Equal([0L, 1000L], shown);
    }

    [Fact]
    public void TheWorksExceptionComesBackAsIs()
    {
        var ex = Assert.Throws<OutputExistsException>(() =>
            EngineCall.Run<int>((_, _) => throw new OutputExistsException("/x"), _ => { }, Unthrottled, CancellationToken.None));
        Assert.Equal("/x", ex.Target);
    }

    [Fact]
    public void CancellingTheCallersTokenReachesTheWork()
    {
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => EngineCall.Run((progress, ct) =>
        {
            progress.Report(new ProgressInfo("work", "", 0, 1));
            ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
            ct.ThrowIfCancellationRequested();
            return 0;
        }, _ => cts.Cancel(), Unthrottled, cts.Token));
    }

    [Fact]
    public void WhenShowingFailsTheWorkIsCancelledAndAwaitedBeforeTheFailurePropagates()
    {
        bool workEnded = false;
        Assert.Throws<InvalidOperationException>(() => EngineCall.Run((progress, ct) =>
        {
            try
            {
                progress.Report(new ProgressInfo("work", "", 0, 1));
                while (!ct.IsCancellationRequested) Thread.Sleep(1);
                Thread.Sleep(50);
                return 0;
            }
            finally { workEnded = true; }
        }, _ => throw new InvalidOperationException("pipeline stopped"), Unthrottled, CancellationToken.None));
        Assert.True(workEnded);
    }
}
