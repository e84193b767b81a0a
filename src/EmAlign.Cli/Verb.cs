using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>What a verb gets to work with: where to write, whether stderr is a terminal, and Ctrl+C.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Err, bool ErrIsTerminal, CancellationToken Cancellation)
{
    /// <summary>A progress display on stderr for one verb run; dispose it when the work ends.</summary>
    public ConsoleProgress Progress() => new(Err, ErrIsTerminal);
}

/// <summary>One `emalign VERB`: its usage and its run, which parses nothing itself beyond its declared options.</summary>
internal abstract class Verb
{
    public abstract string Name { get; }

    /// <summary>One line for the verb list.</summary>
    public abstract string Summary { get; }

    /// <summary>The verb's usage text (synopsis line first, then options).</summary>
    public abstract string Usage { get; }

    public virtual IReadOnlyCollection<string> ValueOptions => [];

    public virtual IReadOnlyCollection<string> Flags => [];

    /// <summary>Runs the verb; returns the exit code. Throws <see cref="UsageException"/> for bad arguments.</summary>
    public abstract int Run(CliArguments args, CliContext context);

    /// <summary>Runs <paramref name="work"/> with a progress display that is closed (final line ended) afterwards.</summary>
    protected static T WithProgress<T>(CliContext context, Func<IProgress<ProgressInfo>, T> work)
    {
        using var progress = context.Progress();
        return work(progress);
    }
}
