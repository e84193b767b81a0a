using System.Diagnostics;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>zarr-python 2 (/usr/bin/python3 with zarr and numcodecs) as an interop peer.</summary>
internal static class PythonZarr
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> s_missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} is absent";
        try
        {
            var (code, _, err) = Run("import zarr, numcodecs, numpy");
            return code == 0 ? null : $"{Python} cannot import zarr: {err.Trim().Split('\n').LastOrDefault()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"{Python} cannot run: {e.Message}";
        }
    });

    /// <summary>Why zarr-python cannot be used here, or null when it can.</summary>
    public static string? Missing => s_missing.Value;

    /// <summary>Runs a Python script with arguments; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Runs a script that must succeed and returns its stdout lines.</summary>
    public static string[] Check(string script, params string[] args)
    {
        var (code, output, err) = Run(script, args);
        Assert.True(code == 0, $"python failed ({code}): {err}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

/// <summary>A fact that is skipped, with the reason, where zarr-python cannot be imported by /usr/bin/python3.</summary>
public sealed class PythonZarrFactAttribute : FactAttribute
{
    public PythonZarrFactAttribute()
    {
        if (PythonZarr.Missing is { } why) Skip = $"zarr-python interop skipped: {why}.";
    }
}

/// <summary>A theory that is skipped, with the reason, where zarr-python cannot be imported by /usr/bin/python3.</summary>
public sealed class PythonZarrTheoryAttribute : TheoryAttribute
{
    public PythonZarrTheoryAttribute()
    {
        if (PythonZarr.Missing is { } why) Skip = $"zarr-python interop skipped: {why}.";
    }
}
