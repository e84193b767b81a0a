using EmAlign.Volumes;

namespace EmAlign.FrontEnds;

/// <summary>
/// Decides which engine progress reports a front end shows: the first of an activity, the last (Done reaching
/// Total), and otherwise at most one per <see cref="Interval"/>. Rendering progress is expensive in both
/// PowerShell and terminals, and engine loops report far more often than anyone can read. Thread-safe:
/// engines report from worker threads. Shared (as a linked source file) by the cmdlets and the CLI.
/// </summary>
internal sealed class ProgressThrottle(TimeSpan interval, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly object _gate = new();
    private string? _activity;
    private long _lastShown;
    private bool _finished;

    public TimeSpan Interval { get; } = interval;

    /// <summary>True when <paramref name="p"/> should be shown now (and records that it was).</summary>
    public bool ShouldShow(ProgressInfo p)
    {
        long now = _clock.GetTimestamp();
        lock (_gate)
        {
            bool final = p.Total > 0 && p.Done >= p.Total;
            // A new activity, or the same one starting over: always shown.
            if (p.Activity != _activity || (_finished && p.Done == 0))
            {
                _activity = p.Activity;
                _finished = final;
                _lastShown = now;
                return true;
            }
            if (_finished) return false; // late, out-of-order reports from parallel workers after the last one
            if (final || _clock.GetElapsedTime(_lastShown, now) >= Interval)
            {
                _finished = final;
                _lastShown = now;
                return true;
            }
            return false;
        }
    }
}
