using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>
/// Engine progress on stderr: a one-line bar redrawn in place when stderr is a terminal, or plain
/// "activity: n/N" lines when it is redirected (logs, schedulers), both throttled. Thread-safe.
/// </summary>
internal sealed class ConsoleProgress : IProgress<ProgressInfo>, IDisposable
{
    private const int BarWidth = 30;
    private const int MaxActivityWidth = 48;
    private readonly TextWriter _err;
    private readonly bool _terminal;
    private readonly ProgressThrottle _throttle;
    private readonly object _gate = new();
    private int _lineLength; // >0 while a bar is on the line

    public ConsoleProgress(TextWriter err, bool terminal, TimeProvider? clock = null)
    {
        _err = err;
        _terminal = terminal;
        _throttle = new ProgressThrottle(terminal ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1), clock);
    }

    public void Report(ProgressInfo value)
    {
        if (!_throttle.ShouldShow(value)) return;
        lock (_gate)
        {
            if (!_terminal)
            {
                _err.WriteLine($"{value.Activity}: {value.Done}/{value.Total}");
                return;
            }
            string activity = value.Activity.Length <= MaxActivityWidth ? value.Activity : "..." + value.Activity[^(MaxActivityWidth - 3)..];
            int filled = value.Total > 0 ? (int)(BarWidth * Math.Clamp(value.Done, 0, value.Total) / value.Total) : 0;
            string line = $"{activity} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {value.Percent,3}% {value.Done}/{value.Total}";
            _err.Write("\r" + line.PadRight(_lineLength));
            _lineLength = line.Length;
            if (value.Total > 0 && value.Done >= value.Total) EndLine();
        }
    }

    /// <summary>Ends a bar left on the line (a run stopped before its last report).</summary>
    public void Dispose()
    {
        lock (_gate) EndLine();
    }

    private void EndLine()
    {
        if (_lineLength == 0) return;
        _err.WriteLine();
        _lineLength = 0;
    }
}
