using System.Text.Json;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

/// <summary>Cross-checks against files written by zarr-python/numcodecs (c-blosc 1.21, liblz4) and, where present, numcodecs itself.</summary>
public class CodecInteropTests
{
    private static int ChunkBytes(string zarrDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(zarrDir, ".zarray")));
        int count = doc.RootElement.GetProperty("chunks").EnumerateArray().Aggregate(1, (a, e) => a * e.GetInt32());
        string dtype = doc.RootElement.GetProperty("dtype").GetString()!;
        return count * int.Parse(dtype[2..]);
    }

    /// <summary>Every chunk of every blosc / lz4 fixture decodes to the bytes of the same chunk in the uncompressed copy.</summary>
    [FixtureFact]
    public void FixtureChunksDecodeToTheRawCopies()
    {
        var dirs = Directory.GetDirectories(SharedData.Fixture("zarr2"), "*.zarr")
            .Where(d => Path.GetFileName(d).Contains("-blosc-") || Path.GetFileName(d).EndsWith("-lz4.zarr"))
            .ToList();
        Assert.True(dirs.Count >= 15, $"found only {dirs.Count} fixtures");
        int checkedChunks = 0;
        foreach (string dir in dirs)
        {
            string name = Path.GetFileName(dir);
            string prefix = name.Contains("-blosc-") ? name[..name.IndexOf("-blosc-")] : name[..name.IndexOf("-lz4")];
            string rawDir = Path.Combine(Path.GetDirectoryName(dir)!, prefix + "-raw.zarr");
            IChunkCodec codec = name.Contains("-blosc-") ? new BloscCodec() : new Lz4Codec();
            int bytes = ChunkBytes(dir);
            foreach (string chunk in Directory.GetFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.')))
            {
                var output = new byte[bytes];
                Assert.Equal(bytes, codec.Decode(File.ReadAllBytes(chunk), output));
                Assert.True(File.ReadAllBytes(Path.Combine(rawDir, Path.GetFileName(chunk))).AsSpan().SequenceEqual(output), $"{name}/{Path.GetFileName(chunk)}");
                checkedChunks++;
            }
        }
        Assert.True(checkedChunks >= 13 * 18, $"checked {checkedChunks} chunks");
    }

    /// <summary>The first uint8 chunk holds the fixture formula v = (7x + 13y + 29z) mod 251, independently of the raw copy.</summary>
    [FixtureFact]
    public void UInt8BloscChunkFollowsTheManifestFormula()
    {
        foreach (string cname in new[] { "lz4", "lz4hc", "blosclz" })
        {
            var frame = File.ReadAllBytes(SharedData.Fixture($"zarr2/uint8-blosc-{cname}-shuffle.zarr/0.0.0"));
            var output = new byte[3 * 16 * 32];
            new BloscCodec().Decode(frame, output);
            for (int z = 0; z < 3; z++)
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 32; x++)
                        Assert.Equal((7 * x + 13 * y + 29 * z) % 251, output[(z * 16 + y) * 32 + x]);
        }
    }

    /// <summary>Frames and lz4 chunks written here decode in numcodecs (c-blosc / liblz4), and numcodecs' frames decode here.</summary>
    [NumcodecsFact]
    public void NumcodecsReadsOurFramesAndWeReadItsFrames()
    {
        string dir = Directory.CreateTempSubdirectory("emalign-codecs-").FullName;
        try
        {
            var cases = new List<(string File, byte[] Data)>();
            var codecs = new (string Tag, IChunkCodec Codec)[]
            {
                ("lz4", new Lz4Codec()), ("lz4a9", new Lz4Codec(9)),
                ("blosc", new BloscCodec("lz4", 5, 1)), ("blosc", new BloscCodec("lz4", 9, 2)), ("blosc", new BloscCodec("lz4", 1, 0, 4096)),
                ("blosc", new BloscCodec("lz4hc", 5, 1)), ("blosc", new BloscCodec("blosclz", 5, 1)), ("blosc", new BloscCodec("blosclz", 9, 2)),
                ("blosc", new BloscCodec("blosclz", 3, 0, 1000)), ("blosc", new BloscCodec("zlib", 5, 1)), ("blosc", new BloscCodec("lz4", 5, -1)),
            };
            int index = 0;
            // numcodecs cannot decode empty inputs at all (its own frames included), so sizes start at 1.
            foreach (int n in new[] { 1, 128, 1000, 65536, 600000 })
            {
                foreach (var (kind, data) in CodecTestData.Kinds(n, n))
                {
                    foreach (int typeSize in new[] { 1, 2, 8 })
                    {
                        if (n % typeSize != 0) continue;
                        foreach (var (tag, codec) in codecs)
                        {
                            if (n == 600000 && (typeSize == 8 || kind == "zeros")) continue;
                            string file = $"c{index++}.{tag}";
                            File.WriteAllBytes(Path.Combine(dir, file), codec.Encode(data, typeSize));
                            File.WriteAllBytes(Path.Combine(dir, file + ".raw"), data);
                            cases.Add((file, data));
                        }
                    }
                }
            }
            const string script = """
                import glob, numpy as np
                from numcodecs import Blosc, LZ4
                bad = []
                files = sorted(f for f in glob.glob('c*') if not f.endswith('.raw'))
                for f in files:
                    raw = open(f + '.raw', 'rb').read()
                    enc = open(f, 'rb').read()
                    try:
                        dec = bytes(LZ4().decode(enc) if '.lz4' in f else Blosc().decode(enc))
                        if dec != raw: bad.append(f + ' differs')
                    except Exception as e:
                        bad.append(f + ' ' + str(e))
                rng = np.random.default_rng(3)
                base = (np.arange(300000) // 37 % 200).astype(np.uint8) + rng.integers(0, 3, 300000).astype(np.uint8)
                k = 0
                for cname in ['lz4', 'lz4hc', 'blosclz', 'zlib']:
                    for shuffle in [0, 1, 2]:
                        for dtype in ['u1', '<u2', '<u4', '<u8']:
                            a = base.view(dtype)
                            open('p%d.blosc' % k, 'wb').write(Blosc(cname=cname, clevel=5, shuffle=shuffle).encode(a))
                            k += 1
                open('p.lz4', 'wb').write(LZ4().encode(base))
                open('p.base', 'wb').write(base.tobytes())
                print('checked', len(files), 'failed', len(bad))
                for b in bad[:20]: print(b)
                """;
            var (exit, output) = CodecTestData.RunPython(script, dir);
            Assert.True(exit == 0, output);
            Assert.Contains($"checked {cases.Count} failed 0", output);

            var expected = File.ReadAllBytes(Path.Combine(dir, "p.base"));
            var frames = Directory.GetFiles(dir, "p*.blosc");
            Assert.Equal(48, frames.Length);
            foreach (string frame in frames)
            {
                var decoded = new byte[expected.Length];
                Assert.Equal(expected.Length, new BloscCodec().Decode(File.ReadAllBytes(frame), decoded));
                Assert.True(decoded.AsSpan().SequenceEqual(expected), Path.GetFileName(frame));
            }
            var lz4 = new byte[expected.Length];
            Assert.Equal(expected.Length, new Lz4Codec().Decode(File.ReadAllBytes(Path.Combine(dir, "p.lz4")), lz4));
            Assert.Equal(expected, lz4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
