using System.Diagnostics;
using System.Globalization;

namespace EmAlign.Bench;

/// <summary>Runs a peer script under Debian's /usr/bin/python3 and parses its "key value" result lines.</summary>
internal static class Peer
{
    public static string PeersDir { get; } = FindPeersDir();

    public static bool Available(string module) => Run($"-c \"import {module}\"", quiet: true) is not null;

    /// <summary>Runs bench/peers/<paramref name="script"/> with arguments; returns key -> value of lines "key value".</summary>
    public static Dictionary<string, double>? Script(string script, params string[] args) =>
        Run($"\"{Path.Combine(PeersDir, script)}\" {string.Join(' ', args.Select(a => $"\"{a}\""))}", quiet: false);

    private static Dictionary<string, double>? Run(string arguments, bool quiet)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                if (!quiet) Console.WriteLine($"   peer failed: {err.Trim()}");
                return null;
            }
            var result = new Dictionary<string, double>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) result[parts[0]] = v;
            }
            return result;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string FindPeersDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "peers");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("bench/peers not found above the benchmark's folder.");
    }
}

/// <summary>Timing and reporting helpers.</summary>
internal static class Measure
{
    /// <summary>Best wall time of <paramref name="runs"/> runs, seconds.</summary>
    public static double Best(int runs, Action body, Action? before = null)
    {
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            before?.Invoke();
            var sw = Stopwatch.StartNew();
            body();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    public static void Row(string what, double ours, double? peer, string unit, bool higherIsBetter = true)
    {
        string ratio = peer is > 0 ? (higherIsBetter ? ours / peer.Value : peer.Value / ours).ToString("0.00x", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {what,-44} EmAlign {ours,10:0.0} {unit,-10} peer {(peer is null ? "n/a" : peer.Value.ToString("0.0", CultureInfo.InvariantCulture)),10}  ratio {ratio}"));
    }
}
