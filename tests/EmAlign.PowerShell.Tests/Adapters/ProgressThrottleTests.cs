using EmAlign.FrontEnds;
using EmAlign.PowerShell.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.PowerShell.Tests.Adapters;

public class ProgressThrottleTests
{
    private static ProgressInfo P(long done, long total = 100, string activity = "copy") => new(activity, "", done, total);

    [Fact]
    public void ShowsTheFirstTheLastAndOnePerIntervalBetween()
    {
        var clock = new ManualClock();
        var t = new ProgressThrottle(TimeSpan.FromMilliseconds(250), clock);
        Assert.True(t.ShouldShow(P(0)));
        Assert.False(t.ShouldShow(P(1)));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(t.ShouldShow(P(2)));
        clock.Advance(TimeSpan.FromMilliseconds(150));
        Assert.True(t.ShouldShow(P(3)));
        Assert.False(t.ShouldShow(P(4)));
        Assert.True(t.ShouldShow(P(100)));
    }

    [Fact]
    public void DropsLateReportsAfterTheLastButShowsANewActivityOrARestart()
    {
        var clock = new ManualClock();
        var t = new ProgressThrottle(TimeSpan.FromMilliseconds(250), clock);
        Assert.True(t.ShouldShow(P(0)));
        Assert.True(t.ShouldShow(P(100)));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(t.ShouldShow(P(99)));
        Assert.True(t.ShouldShow(P(0)));
        Assert.True(t.ShouldShow(P(5, activity: "bbox")));
        Assert.False(t.ShouldShow(P(6, activity: "bbox")));
    }

    [Fact]
    public void BoundsTheRateUnderConcurrentReports()
    {
        var clock = new ManualClock();
        var t = new ProgressThrottle(TimeSpan.FromMilliseconds(250), clock);
        int shown = 0;
        Parallel.For(0, 10_000, i => { if (t.ShouldShow(P(i, 10_000))) Interlocked.Increment(ref shown); });
        Assert.Equal(1, shown); // the clock never moved: only the first
    }
}
