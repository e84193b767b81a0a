using System.Security.Cryptography;
using EmAlign.Codecs;

namespace EmAlign.Tests.Codecs;

/// <summary>Frames exchanged with the reference implementation (the zstd tool, libzstd through numcodecs).</summary>
public class ZstdInteropTests
{
    private static IEnumerable<(string Name, byte[] Data)> Inputs()
    {
        yield return ("empty", []);
        yield return ("one byte", [42]);
        yield return ("random 1000", ZstdTestData.Random(1000, 1));
        yield return ("zeros 300k", new byte[300_000]);
        yield return ("em-like 700k", ZstdTestData.EmLike(700_000, 2));
        yield return ("ramp16 500k", ZstdTestData.Ramp16(500_000));
        yield return ("labels64 400k", ZstdTestData.Labels64(400_000, 3));
        yield return ("period 5", ZstdTestData.Periodic(150_000, 5, 4));
        yield return ("far repeats 2.5M", ZstdTestData.FarRepeats(2_500_000, 600_000, 5));
    }

    [ZstdCliFact]
    public void ZstdToolDecodesOurFrames()
    {
        foreach (var (name, data) in Inputs())
        foreach (int level in new[] { 1, 3, 7, 19 })
        {
            var frame = Zstd.Compress(data, level, checksum: level == 3);
            ExternalTools.Run("zstd", ["-d", "-q", "-c"], frame, out var decoded);
            Assert.True(data.AsSpan().SequenceEqual(decoded), $"zstd -d differs for {name} at level {level}");
        }
    }

    [ZstdCliFact]
    public void DecodesZstdToolFrames()
    {
        string[][] settings = [["-1"], ["-3"], ["-19"], ["--ultra", "-22"], ["--long=27", "-3"], ["-3", "--no-check"], ["-5", "--no-check", "-B4096"]];
        foreach (var (name, data) in Inputs())
        foreach (var setting in settings)
        {
            // Through stdin the tool does not know the size, so the frame declares none; a file input does.
            ExternalTools.Run("zstd", ["-q", "-c", .. setting], data, out var streamed);
            var output = new byte[data.Length + 100];
            int n = Zstd.Decompress(streamed, output);
            Assert.True(n == data.Length && output.AsSpan(0, n).SequenceEqual(data), $"{name} with zstd {string.Join(' ', setting)} (stdin)");

            var path = Path.Combine(Path.GetTempPath(), $"emalign-zstd-{Guid.NewGuid():N}");
            try
            {
                File.WriteAllBytes(path, data);
                ExternalTools.Run("zstd", ["-q", "-c", .. setting, path], null, out var fromFile);
                Assert.True(Zstd.TryGetDecompressedSize(fromFile, out long size) && size == data.Length, $"{name}: declared size");
                var exact = new byte[data.Length];
                Assert.Equal(data.Length, Zstd.Decompress(fromFile, exact));
                Assert.True(data.AsSpan().SequenceEqual(exact), $"{name} with zstd {string.Join(' ', setting)} (file)");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [ZstdCliFact]
    public void DecodesMultiFrameToolOutput()
    {
        var a = ZstdTestData.EmLike(200_000, 7);
        var b = ZstdTestData.Labels64(200_000, 8);
        ExternalTools.Run("zstd", ["-q", "-c", "-3"], a, out var fa);
        ExternalTools.Run("zstd", ["-q", "-c", "-19"], b, out var fb);
        byte[] both = [.. fa, .. fb];
        var output = new byte[a.Length + b.Length];
        Assert.Equal(output.Length, Zstd.Decompress(both, output));
        Assert.Equal([.. a, .. b], output);
    }

    [ZstdCliFact]
    public void DamagedToolFramesOnlyEverRaiseCorruptData()
    {
        // The tool's frames use what our encoder does not write (treeless literals, repeated and RLE sequence
        // tables, FSE-coded Huffman weights): damage there must be caught cleanly too.
        var rng = new Random(99);
        var inputs = new[] { ZstdTestData.EmLike(300_000, 8), ZstdTestData.Labels64(300_000, 9), ZstdTestData.Ramp16(300_000) };
        var output = new byte[300_000];
        foreach (var data in inputs)
        foreach (var level in new[] { "-1", "-9", "-19" })
        {
            ExternalTools.Run("zstd", ["-q", "-c", "--no-check", level], data, out var frame);
            for (int trial = 0; trial < 150; trial++)
            {
                var damaged = (byte[])frame.Clone();
                for (int k = 0, flips = 1 + rng.Next(3); k < flips; k++) damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
                try
                {
                    Assert.InRange(Zstd.Decompress(damaged, output), 0, output.Length);
                }
                catch (EmAlign.Diagnostics.CorruptDataException)
                {
                }
            }
        }
    }

    [NumcodecsFact]
    public void NumcodecsDecodesOurFrames()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"emalign-numcodecs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var expected = new List<string>();
            int i = 0;
            foreach (var (_, data) in Inputs())
            {
                if (data.Length == 0) continue; // numcodecs 0.11 rejects a declared size of 0 (formats.md §8.2)
                File.WriteAllBytes(Path.Combine(folder, $"{i}.zst"), new ZstdCodec(i % 2 == 0 ? 3 : 1, checksum: i % 3 == 0).Encode(data, 1));
                expected.Add(Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant());
                i++;
            }
            const string script = """
                import sys, hashlib, numcodecs
                codec = numcodecs.Zstd()
                for i in range(int(sys.argv[2])):
                    data = codec.decode(open(f"{sys.argv[1]}/{i}.zst", "rb").read())
                    print(hashlib.sha256(bytes(data)).hexdigest())
                """;
            ExternalTools.Run(ExternalTools.Python, ["-c", script, folder, i.ToString()], null, out var stdout);
            var lines = System.Text.Encoding.ASCII.GetString(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(expected, lines);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
