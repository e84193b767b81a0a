using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

/// <summary>Inputs for codec tests: noise, constant, text-like and EM-like bytes, all reproducible.</summary>
public static class Bz2XzTestData
{
    public static byte[] Make(string kind, int size) => kind switch
    {
        "random" => Random(size, 1),
        "zeros" => new byte[size],
        "text" => Text(size),
        "em" => EmLike(size, 7),
        _ => throw new ArgumentException($"unknown kind {kind}", nameof(kind)),
    };

    public static byte[] Random(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static byte[] Text(int size)
    {
        var words = "the membrane of a synapse shows vesicles near the cleft while mitochondria fill an axon section across images".Split(' ');
        var rng = new Random(3);
        var sb = new StringBuilder(size + 16);
        while (sb.Length < size) sb.Append(words[rng.Next(words.Length)]).Append(rng.Next(12) == 0 ? ".\n" : " ");
        return Encoding.ASCII.GetBytes(sb.ToString(0, size));
    }

    /// <summary>1024-pixel-wide 8-bit sections: smooth membranes and blobs plus shot-like noise, as in ssTEM images.</summary>
    public static byte[] EmLike(int size, int seed)
    {
        var b = new byte[size];
        var rng = new Random(seed);
        const int w = 1024;
        for (int i = 0; i < size; i++)
        {
            int x = i % w, y = i / w;
            double v = 150 + 40 * Math.Sin(x * 0.021 + y * 0.004) * Math.Cos(y * 0.017) - (((x + 3 * y) % 97) < 4 ? 90 : 0);
            v += (rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5) * 24;
            b[i] = (byte)Math.Clamp(v, 0, 255);
        }
        return b;
    }

    /// <summary>Fixture value rule of ../shared/fixtures: v = (7x + 13y + 29z) mod M, floats (v mod 1000) * 0.5 - 3.25.</summary>
    public static double FixtureValue(string dtype, int x, int y, int z)
    {
        int s = 7 * x + 13 * y + 29 * z;
        return dtype switch
        {
            "uint8" => s % 251,
            "uint16" => s % 65521,
            _ => (s % 65521 % 1000) * 0.5 - 3.25,
        };
    }

    public static int ElementSize(string dtype) => dtype switch { "uint8" => 1, "uint16" => 2, _ => 4 };

    /// <summary>Reads element <paramref name="index"/> of a decoded chunk of <paramref name="dtype"/>.</summary>
    public static double Element(ReadOnlySpan<byte> bytes, string dtype, int index, bool bigEndian)
    {
        int size = ElementSize(dtype);
        var e = bytes.Slice(index * size, size);
        return dtype switch
        {
            "uint8" => e[0],
            "uint16" => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(e) : BinaryPrimitives.ReadUInt16LittleEndian(e),
            _ => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(e) : BinaryPrimitives.ReadSingleLittleEndian(e),
        };
    }

    /// <summary>
    /// Decodes every chunk of a Zarr v2 fixture array (shape 7 x 45 x 61, chunks 3 x 16 x 32, C order,
    /// little-endian) with <paramref name="codec"/> and checks the values inside the array; returns the chunk count.
    /// </summary>
    public static int CheckZarrFixture(string folder, string dtype, EmAlign.Codecs.IChunkCodec codec)
    {
        int chunks = 0, size = ElementSize(dtype);
        var buffer = new byte[3 * 16 * 32 * size];
        foreach (var file in Directory.GetFiles(SharedData.Fixture(folder)))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.')) continue;
            var key = name.Split('.').Select(int.Parse).ToArray();
            int n = codec.Decode(File.ReadAllBytes(file), buffer);
            Assert.Equal(buffer.Length, n);
            for (int cz = 0; cz < 3; cz++)
                for (int cy = 0; cy < 16; cy++)
                    for (int cx = 0; cx < 32; cx++)
                    {
                        int z = key[0] * 3 + cz, y = key[1] * 16 + cy, x = key[2] * 32 + cx;
                        if (z >= 7 || y >= 45 || x >= 61) continue;
                        Assert.Equal(FixtureValue(dtype, x, y, z), Element(buffer, dtype, (cz * 16 + cy) * 32 + cx, false));
                    }
            chunks++;
        }
        return chunks;
    }

    /// <summary>
    /// Decodes every block of an N5 fixture dataset (dimensions 61, 45, 7; blocks 32, 16, 3; big-endian
    /// header then payload; elements big-endian, x fastest) and checks the values; returns the block count.
    /// </summary>
    public static int CheckN5Fixture(string folder, string dtype, EmAlign.Codecs.IChunkCodec codec)
    {
        int blocks = 0, size = ElementSize(dtype);
        var root = SharedData.Fixture(folder);
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            if (rel.Length != 3) continue;
            var grid = rel.Select(int.Parse).ToArray();
            var bytes = File.ReadAllBytes(file);
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(bytes));
            int ndim = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2));
            Assert.Equal(3, ndim);
            var dims = new int[3];
            for (int d = 0; d < 3; d++) dims[d] = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            var buffer = new byte[dims[0] * dims[1] * dims[2] * size];
            int n = codec.Decode(bytes.AsSpan(4 + 4 * ndim), buffer);
            Assert.Equal(buffer.Length, n);
            for (int bz = 0; bz < dims[2]; bz++)
                for (int by = 0; by < dims[1]; by++)
                    for (int bx = 0; bx < dims[0]; bx++)
                    {
                        int x = grid[0] * 32 + bx, y = grid[1] * 16 + by, z = grid[2] * 3 + bz;
                        if (z >= 7 || y >= 45 || x >= 61) continue; // zarr-python writes padded edge blocks
                        Assert.Equal(FixtureValue(dtype, x, y, z), Element(buffer, dtype, bx + dims[0] * (by + dims[1] * bz), true));
                    }
            blocks++;
        }
        return blocks;
    }
}

/// <summary>Runs a command-line tool (bzip2, xz) with stdin/stdout as bytes.</summary>
public static class CompressorTools
{
    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));

    public static byte[] Run(string tool, string arguments, byte[] input)
    {
        var psi = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var err = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(input);
        p.StandardInput.Close();
        copy.Wait();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {arguments} failed with exit code {p.ExitCode}: {err.Result}");
        return stdout.ToArray();
    }
}

/// <summary>A fact skipped, with a clear message, where a command-line tool is not on PATH.</summary>
public sealed class CompressorToolFactAttribute : FactAttribute
{
    public CompressorToolFactAttribute(string tool)
    {
        if (!CompressorTools.Exists(tool)) Skip = $"'{tool}' is not on PATH; interop with it is not checked.";
    }
}

/// <summary>A fact skipped where the Debian Python (/usr/bin/python3, the interop reference) is absent.</summary>
public sealed class PythonStdlibFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    public PythonStdlibFactAttribute()
    {
        if (!File.Exists(Python)) Skip = $"{Python} is absent; interop with Python's bz2/lzma modules is not checked.";
    }

    /// <summary>Decompresses <paramref name="packed"/> with Python's <paramref name="module"/> (bz2 or lzma).</summary>
    public static byte[] Decompress(string module, byte[] packed) =>
        CompressorTools.Run(Python, $"-c \"import sys,{module}; sys.stdout.buffer.write({module}.decompress(sys.stdin.buffer.read()))\"", packed);
}

/// <summary>A theory skipped where a command-line tool is not on PATH.</summary>
public sealed class CompressorToolTheoryAttribute : TheoryAttribute
{
    public CompressorToolTheoryAttribute(string tool)
    {
        if (!CompressorTools.Exists(tool)) Skip = $"'{tool}' is not on PATH; interop with it is not checked.";
    }
}
