using System.Diagnostics;

namespace EmAlign.Tests.Codecs;

/// <summary>Deterministic test buffers for the compressors, and a guarded destination helper.</summary>
internal static class CodecTestData
{
    public static readonly int[] Sizes = [0, 1, 2, 3, 7, 12, 13, 14, 15, 16, 17, 31, 32, 33, 64, 127, 128, 129, 255, 256, 1000, 4095, 4096, 65535, 65536, 65537, 70000, 200003];

    public static byte[] Random(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>EM-like 8-bit image rows 1024 wide: smooth membranes/cells plus noise, as in ssTEM sections.</summary>
    public static byte[] EmLike(int n, int seed, int noise = 12)
    {
        var rng = new Random(seed);
        var data = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int x = i % 1024, y = i / 1024;
            double v = 128 + 45 * Math.Sin(x / 17.0 + y / 31.0) * Math.Cos(y / 23.0) + rng.Next(-noise, noise + 1);
            data[i] = (byte)Math.Clamp((int)v, 0, 255);
        }
        return data;
    }

    /// <summary>Runs of constant values and short repeats: very compressible, with all match distances.</summary>
    public static byte[] Runs(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[n];
        int i = 0;
        while (i < n)
        {
            int len = Math.Min(n - i, rng.Next(1, 300));
            switch (rng.Next(3))
            {
                case 0:
                    data.AsSpan(i, len).Fill((byte)rng.Next(256));
                    break;
                case 1:
                    int period = rng.Next(1, 20);
                    for (int k = 0; k < len; k++) data[i + k] = (byte)((k % period) * 13);
                    break;
                default:
                    int back = rng.Next(1, 70000);
                    for (int k = 0; k < len; k++) data[i + k] = i + k - back >= 0 ? data[i + k - back] : (byte)k;
                    break;
            }
            i += len;
        }
        return data;
    }

    public static IEnumerable<(string Name, byte[] Data)> Kinds(int n, int seed)
    {
        yield return ("random", Random(n, seed));
        yield return ("em", EmLike(n, seed));
        yield return ("runs", Runs(n, seed));
        yield return ("zeros", new byte[n]);
    }

    /// <summary>
    /// A destination of <paramref name="length"/> bytes inside a larger buffer whose surroundings hold a
    /// canary pattern, so tests can prove a decoder never wrote outside the span it was given.
    /// </summary>
    public sealed class Guarded(int length)
    {
        private const int Margin = 64;
        private readonly byte[] _buffer = Enumerable.Range(0, length + 2 * Margin).Select(i => (byte)(0xA5 ^ i)).ToArray();

        public Span<byte> Span => _buffer.AsSpan(Margin, length);

        public void AssertCanaryIntact()
        {
            for (int i = 0; i < Margin; i++)
            {
                Assert.Equal((byte)(0xA5 ^ i), _buffer[i]);
                int j = Margin + length + i;
                Assert.Equal((byte)(0xA5 ^ j), _buffer[j]);
            }
        }
    }

    /// <summary>Runs /usr/bin/python3 with a script; returns (exit code, stdout + stderr).</summary>
    public static (int ExitCode, string Output) RunPython(string script, string workingDirectory)
    {
        var psi = new ProcessStartInfo(PythonPath, ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    public const string PythonPath = "/usr/bin/python3";

    /// <summary>Whether /usr/bin/python3 can import numcodecs (checked once).</summary>
    public static readonly Lazy<bool> HasNumcodecs = new(() =>
    {
        if (!File.Exists(PythonPath)) return false;
        try
        {
            return RunPython("import numcodecs.blosc, numcodecs.lz4", Path.GetTempPath()).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });
}

/// <summary>A fact skipped, with a clear message, where /usr/bin/python3 cannot import numcodecs.</summary>
public sealed class NumcodecsFactAttribute : FactAttribute
{
    public NumcodecsFactAttribute()
    {
        if (!CodecTestData.HasNumcodecs.Value)
            Skip = "/usr/bin/python3 with numcodecs is not available (install python3-numcodecs) for the cross-check against c-blosc/liblz4.";
    }
}
