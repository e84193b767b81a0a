namespace EmAlign.Cli.Tests;

/// <summary>One in-process run of `emalign`.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public static CliRun Of(params string[] args) => With(CancellationToken.None, false, args);

    public static CliRun With(CancellationToken ct, bool terminal, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr, ct, terminal);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}
