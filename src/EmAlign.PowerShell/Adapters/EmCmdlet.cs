using System.Management.Automation;
using EmAlign.Diagnostics;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// What every EmAlign cmdlet shares: Ctrl+C (StopProcessing) cancels the engine through a token, engine
/// progress becomes throttled Write-Progress on the pipeline thread, engine exceptions become error records
/// naming their target, and paths are resolved through PowerShell's providers (never the process's
/// current directory). The decisions themselves live in PowerShell-free classes (FrontEnds namespace).
/// </summary>
public abstract class EmCmdlet : PSCmdlet, IDisposable
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stop = new();

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs an engine call off the pipeline thread, showing its progress under <paramref name="activityId"/>.</summary>
    protected T RunEngine<T>(int activityId, Func<IProgress<ProgressInfo>, CancellationToken, T> work)
    {
        ProgressRecord? shown = null;
        try
        {
            return EngineCall.Run(work, p =>
            {
                shown = new ProgressRecord(activityId, p.Activity, p.Status) { PercentComplete = p.Percent };
                WriteProgress(shown);
            }, new ProgressThrottle(ProgressInterval), _stop.Token);
        }
        finally
        {
            if (shown is not null && !_stop.IsCancellationRequested)
            {
                shown.RecordType = ProgressRecordType.Completed;
                WriteProgress(shown);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for one input; a failure is reported against <paramref name="input"/> and the
    /// next input goes on, unless the failure would repeat for every input (bad parameters) or the user stopped.
    /// </summary>
    protected void ForInput(object? input, Action body)
    {
        try { body(); }
        catch (Exception e) when (e is not PipelineStoppedException and not ActionPreferenceStopException)
        {
            var f = FrontEndFailure.From(e, input);
            if (f.IsCancellation) throw new PipelineStoppedException();
            var record = new ErrorRecord(f.Exception, f.ErrorId, (ErrorCategory)f.Category, f.Target);
            if (f.RecommendedAction is not null) record.ErrorDetails = new ErrorDetails(f.Message) { RecommendedAction = f.RecommendedAction };
            if (f.StopsCommand) ThrowTerminatingError(record);
            else WriteError(record);
        }
    }

    /// <summary>
    /// File-system paths for -Path (wildcards expand; a pattern matching nothing is reported) or -LiteralPath
    /// (taken as written, so [ and ] in folder names work). Paths without wildcards are passed on even when
    /// missing, so the engine's message says what was expected there.
    /// </summary>
    protected IEnumerable<string> ResolveInputPaths(IEnumerable<string> paths, bool literal)
    {
        foreach (var path in paths)
        {
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                if (ResolveLiteralPath(path) is { } one) yield return one;
                continue;
            }
            List<string> matches = [];
            ForInput(path, () =>
            {
                try { matches = [.. SessionState.Path.GetResolvedProviderPathFromPSPath(path, out var provider)]; RequireFileSystem(provider, path); }
                catch (ItemNotFoundException) { matches = []; }
                if (matches.Count == 0)
                    throw new VolumeNotFoundException($"Nothing matches '{path}': expected a pattern naming volumes (use -LiteralPath where [ or ] are part of the name).", path);
            });
            foreach (var m in matches) yield return m;
        }
    }

    /// <summary>A file-system path as written (no wildcards; it need not exist), resolved against the current PowerShell location.</summary>
    protected string? ResolveLiteralPath(string path)
    {
        string? resolved = null;
        ForInput(path, () =>
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            RequireFileSystem(provider, path);
        });
        return resolved;
    }

    private static void RequireFileSystem(ProviderInfo provider, string path)
    {
        if (provider.Name != "FileSystem")
            throw new EmAlignException($"'{path}' is a {provider.Name} path: EmAlign reads and writes files, expected a file-system path.", path);
    }
}
