using EmAlign.PowerShell.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

public class ConsoleProgressTests
{
    [Fact]
    public void RedirectedOutputGetsThrottledPlainLines()
    {
        var err = new StringWriter();
        var clock = new ManualClock();
        using (var p = new ConsoleProgress(err, terminal: false, clock))
        {
            for (int i = 0; i <= 20; i++)
            {
                p.Report(new ProgressInfo("Copying a to b", "", i, 20));
                clock.Advance(TimeSpan.FromMilliseconds(300));
            }
        }
        // First, then one per second (every 4th report at 300 ms steps), and the last.
        Assert.Equal(["Copying a to b: 0/20", "Copying a to b: 4/20", "Copying a to b: 8/20", "Copying a to b: 12/20", "Copying a to b: 16/20", "Copying a to b: 20/20"],
            err.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void ATerminalGetsOneBarRedrawnInPlaceAndEndedOnce()
    {
        var err = new StringWriter();
        var clock = new ManualClock();
        using (var p = new ConsoleProgress(err, terminal: true, clock))
        {
            p.Report(new ProgressInfo("work", "", 0, 4));
            clock.Advance(TimeSpan.FromSeconds(1));
            p.Report(new ProgressInfo("work", "", 2, 4));
            clock.Advance(TimeSpan.FromSeconds(1));
            p.Report(new ProgressInfo("work", "", 4, 4));
        }
        var text = err.ToString();
        Assert.Equal(3, text.Count(c => c == '\r'));
        Assert.Equal(1, text.Split(Environment.NewLine).Length - 1);
        Assert.Contains("work [###############---------------]  50% 2/4", text);
        Assert.EndsWith("100% 4/4" + Environment.NewLine, text);
    }

    [Fact]
    public void AnUnfinishedBarIsEndedOnDisposeAndLongActivitiesAreShortened()
    {
        var err = new StringWriter();
        using (var p = new ConsoleProgress(err, terminal: true))
            p.Report(new ProgressInfo("Copying /a/very/long/path/that/goes/on/and/on/raw.zarr to /b/out.zarr", "", 1, 10));
        var text = err.ToString();
        Assert.EndsWith(Environment.NewLine, text);
        Assert.StartsWith("\r...", text);
        Assert.Contains("to /b/out.zarr [###", text);
    }
}
