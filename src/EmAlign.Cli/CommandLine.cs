namespace EmAlign.Cli;

/// <summary>Dispatches `emalign VERB ...` to its verb; exit codes 0 ok, 1 failure, 2 bad usage.</summary>
public static class CommandLine
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("usage: emalign <verb> [options]");
        return 2;
    }
}
