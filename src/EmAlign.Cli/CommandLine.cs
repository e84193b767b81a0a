using System.Reflection;
using EmAlign.FrontEnds;

namespace EmAlign.Cli;

/// <summary>
/// Dispatches `emalign VERB ...` to its verb. Exit codes: 0 ok, 1 failure ("emalign: error: ..." on stderr),
/// 2 bad usage (the message and the usage text on stderr). Ctrl+C cancels through the token: exit 1, "cancelled".
/// </summary>
public static class CommandLine
{
    private static readonly Verb[] Verbs =
        [new InfoVerb(), new ConvertVerb(), new DownsampleVerb(), new BboxVerb(), new FlowVerb(), new AlignElasticVerb(), new AffineVerb(), new WarpVerb(), new DemoVerb()];

    /// <summary>The version as --version prints it (the build's informational version without source metadata).</summary>
    public static string Version { get; } =
        (typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <param name="args">The arguments after the program name.</param>
    /// <param name="stdout">Where results go (JSON, logs).</param>
    /// <param name="stderr">Where errors, usage and progress go.</param>
    /// <param name="cancellation">Cancelled by Ctrl+C.</param>
    /// <param name="stderrIsTerminal">Draw progress as a bar redrawn in place, rather than as lines.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default, bool stderrIsTerminal = false)
    {
        if (args.Length == 0) return Usage(stderr, "missing verb", MainUsage);
        switch (args[0])
        {
            case "--help" or "-h" or "help":
                stdout.WriteLine(MainUsage);
                return 0;
            case "--version":
                stdout.WriteLine($"emalign {Version}");
                return 0;
        }
        var verb = Verbs.FirstOrDefault(v => v.Name == args[0]);
        if (verb is null) return Usage(stderr, $"unknown verb '{args[0]}'", MainUsage);

        CliArguments parsed;
        try { parsed = CliArguments.Parse(args.Skip(1), verb.ValueOptions, verb.Flags, verb.RepeatableOptions); }
        catch (UsageException e) { return Usage(stderr, e.Message, verb.Usage); }
        if (parsed.Help)
        {
            stdout.WriteLine(verb.Usage);
            return 0;
        }

        try
        {
            return verb.Run(parsed, new CliContext(stdout, stderr, stderrIsTerminal, cancellation));
        }
        catch (UsageException e)
        {
            return Usage(stderr, e.Message, verb.Usage);
        }
        catch (Exception e)
        {
            var failure = FrontEndFailure.From(e, null);
            // After Ctrl+C, whatever the engine was doing when it stopped is not the story: the user cancelled.
            stderr.WriteLine(failure.IsCancellation || cancellation.IsCancellationRequested ? "emalign: cancelled" : $"emalign: error: {failure.Message}");
            return 1;
        }
    }

    private static int Usage(TextWriter stderr, string message, string usage)
    {
        stderr.WriteLine($"emalign: error: {message}");
        stderr.WriteLine(usage);
        return 2;
    }

    private static string MainUsage => $"""
        usage: emalign <verb> [options]

        verbs:
        {string.Join(Environment.NewLine, Verbs.Select(v => $"  {v.Name,-13} {v.Summary}"))}

        Run 'emalign <verb> --help' for a verb's options, 'emalign --version' for the version.
        Sizes and boxes in JSON: x, y, z in mag-1 voxels; shape and chunks: C order as stored (z, y, x).
        Exit codes: 0 ok, 1 failure, 2 bad usage.
        """;
}
