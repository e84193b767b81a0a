namespace EmAlign.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        // The first Ctrl+C cancels the work so outputs are cleaned up; a second one ends the process at once.
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        return CommandLine.Run(args, Console.Out, Console.Error, cancel.Token, stderrIsTerminal: !Console.IsErrorRedirected);
    }
}
