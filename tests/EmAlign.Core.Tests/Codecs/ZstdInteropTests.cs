using System.Security.Cryptography;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

/// <summary>Frames exchanged with the reference implementation (the zstd tool, libzstd through numcodecs).</summary>
public class ZstdInteropTests
{
    private static IEnumerable<(string Name, byte[] Data)> Inputs()
    {
        yield return ("empty", []);
        yield return ("one byte", [42]);
        yield return ("random 1000", CodecTestData.Random(1000, 1));
        yield return ("zeros 300k", new byte[300_000]);
        yield return ("em-like 700k", CodecTestData.EmLike(700_000, 2));
        yield return ("ramp16 500k", ZstdTestData.Ramp16(500_000));
        yield return ("labels64 400k", ZstdTestData.Labels64(400_000, 3));
        yield return ("period 5", ZstdTestData.Periodic(150_000, 5, 4));
        yield return ("far repeats 2.5M", ZstdTestData.FarRepeats(2_500_000, 600_000, 5));
    }

    [CompressorToolFact("zstd")]
    public void ZstdToolDecodesOurFrames()
    {
        foreach (var (name, data) in Inputs())
        foreach (int level in new[] { 1, 3, 7, 19 })
        {
            var frame = Zstd.Compress(data, level, checksum: level == 3);
            var decoded = CompressorTools.Run("zstd", "-d -q -c", frame);
            Assert.True(data.AsSpan().SequenceEqual(decoded), $"zstd -d differs for {name} at level {level}");
        }
    }

    [CompressorToolFact("zstd")]
    public void DecodesZstdToolFrames()
    {
        string[] settings = ["-1", "-3", "-19", "--ultra -22", "--long=27 -3", "-3 --no-check", "-5 --no-check -B4096"];
        using var temp = new TempFolder();
        foreach (var (name, data) in Inputs())
        foreach (var setting in settings)
        {
            // Through stdin the tool does not know the size, so the frame declares none; a file input does.
            var streamed = CompressorTools.Run("zstd", $"-q -c {setting}", data);
            var output = new byte[data.Length + 100];
            int n = Zstd.Decompress(streamed, output);
            Assert.True(n == data.Length && output.AsSpan(0, n).SequenceEqual(data), $"{name} with zstd {setting} (stdin)");

            var path = temp["input.bin"];
            File.WriteAllBytes(path, data);
            var fromFile = CompressorTools.Run("zstd", $"-q -c {setting} {path}", []);
            Assert.True(Zstd.TryGetDecompressedSize(fromFile, out long size) && size == data.Length, $"{name}: declared size");
            var exact = new byte[data.Length];
            Assert.Equal(data.Length, Zstd.Decompress(fromFile, exact));
            Assert.True(data.AsSpan().SequenceEqual(exact), $"{name} with zstd {setting} (file)");
        }
    }

    [CompressorToolFact("zstd")]
    public void FramesWithoutContentSizeStayInsideTheDestination()
    {
        // Streamed frames declare no size, so only the destination bounds the output (decompression-bomb guard).
        foreach (var (name, data) in CodecTestData.Kinds(150_000, 4))
        foreach (var level in new[] { "-1", "-19" })
        {
            var frame = CompressorTools.Run("zstd", $"-q -c {level}", data);
            Assert.False(Zstd.TryGetDecompressedSize(frame, out _));
            var exact = new CodecTestData.Guarded(data.Length);
            Assert.Equal(data.Length, Zstd.Decompress(frame, exact.Span));
            Assert.True(exact.Span.SequenceEqual(data), $"{name} {level}");
            exact.AssertCanaryIntact();
            foreach (int room in new[] { 0, 1, data.Length / 2, data.Length - 1 })
            {
                var small = new CodecTestData.Guarded(room);
                Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, small.Span));
                small.AssertCanaryIntact();
            }
        }
    }

    [CompressorToolFact("zstd")]
    public void DecodesMultiFrameToolOutput()
    {
        var a = CodecTestData.EmLike(200_000, 7);
        var b = ZstdTestData.Labels64(200_000, 8);
        byte[] both = [.. CompressorTools.Run("zstd", "-q -c -3", a), .. CompressorTools.Run("zstd", "-q -c -19", b)];
        var output = new byte[a.Length + b.Length];
        Assert.Equal(output.Length, Zstd.Decompress(both, output));
        Assert.Equal([.. a, .. b], output);
    }

    [CompressorToolFact("zstd")]
    public void DamagedToolFramesOnlyEverRaiseCorruptData()
    {
        // The tool's frames use what our encoder does not write (treeless literals, repeated and RLE sequence
        // tables, FSE-coded Huffman weights): damage there must be caught cleanly too.
        var rng = new Random(99);
        var inputs = new[] { CodecTestData.EmLike(300_000, 8), ZstdTestData.Labels64(300_000, 9), ZstdTestData.Ramp16(300_000) };
        var output = new byte[300_000];
        foreach (var data in inputs)
        foreach (var level in new[] { "-1", "-9", "-19" })
        {
            var frame = CompressorTools.Run("zstd", $"-q -c --no-check {level}", data);
            for (int trial = 0; trial < 150; trial++)
            {
                var damaged = (byte[])frame.Clone();
                for (int k = 0, flips = 1 + rng.Next(3); k < flips; k++) damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
                try
                {
                    Assert.InRange(Zstd.Decompress(damaged, output), 0, output.Length);
                }
                catch (CorruptDataException)
                {
                }
            }
        }
    }

    [NumcodecsFact]
    public void NumcodecsDecodesOurFrames()
    {
        using var temp = new TempFolder();
        var expected = new List<string>();
        int i = 0;
        foreach (var (_, data) in Inputs())
        {
            if (data.Length == 0) continue; // numcodecs 0.11 rejects a declared size of 0 (formats.md §8.2)
            File.WriteAllBytes(temp[$"{i}.zst"], new ZstdCodec(i % 2 == 0 ? 3 : 1, checksum: i % 3 == 0).Encode(data, 1));
            expected.Add(Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant());
            i++;
        }
        string script = $$"""
            import hashlib, numcodecs
            codec = numcodecs.Zstd()
            for i in range({{i}}):
                data = codec.decode(open(f"{i}.zst", "rb").read())
                print(hashlib.sha256(bytes(data)).hexdigest())
            """;
        var (exitCode, output) = CodecTestData.RunPython(script, temp.Path);
        Assert.True(exitCode == 0, output);
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
