using System.Diagnostics;

namespace EmAlign.Tests.Codecs;

/// <summary>Runs command-line peers (zstd, lz4, python3 with numcodecs) used as independent oracles.</summary>
internal static class ExternalTools
{
    public const string Python = "/usr/bin/python3";

    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name)) return File.Exists(name) ? name : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static bool HasNumcodecs { get; } = File.Exists(Python) && Run(Python, ["-c", "import numcodecs"], null, out _, throwOnError: false) == 0;

    /// <summary>Runs a tool, feeding <paramref name="stdin"/> and returning its exit code; stdout bytes come back.</summary>
    public static int Run(string tool, IEnumerable<string> args, byte[]? stdin, out byte[] stdout, bool throwOnError = true)
    {
        var info = new ProcessStartInfo(Find(tool) ?? tool)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        var writer = stdin is null ? Task.CompletedTask : Task.Run(() =>
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        });
        var error = process.StandardError.ReadToEndAsync();
        var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        writer.Wait();
        process.WaitForExit();
        stdout = output.ToArray();
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}");
        return process.ExitCode;
    }
}

/// <summary>A fact that needs the zstd command-line tool (Debian package zstd); skipped with a message where absent.</summary>
public sealed class ZstdCliFactAttribute : FactAttribute
{
    public ZstdCliFactAttribute()
    {
        if (ExternalTools.Find("zstd") is null) Skip = "the zstd command-line tool is not installed (apt-get install zstd).";
    }
}

/// <summary>A fact that needs the lz4 command-line tool; skipped with a message where absent.</summary>
public sealed class Lz4CliFactAttribute : FactAttribute
{
    public Lz4CliFactAttribute()
    {
        if (ExternalTools.Find("lz4") is null) Skip = "the lz4 command-line tool is not installed (apt-get install lz4).";
    }
}

/// <summary>A fact that needs /usr/bin/python3 with numcodecs; skipped with a message where absent.</summary>
public sealed class NumcodecsFactAttribute : FactAttribute
{
    public NumcodecsFactAttribute()
    {
        if (!ExternalTools.HasNumcodecs) Skip = "/usr/bin/python3 with numcodecs is not installed (apt-get install python3-numcodecs).";
    }
}
