using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

public class Bzip2CodecTests
{
    [Theory]
    [InlineData("random", 0, 9)]
    [InlineData("random", 1, 9)]
    [InlineData("text", 777, 9)]
    [InlineData("zeros", 5000, 1)]
    [InlineData("random", 1 << 20, 9)]
    [InlineData("zeros", 1 << 20, 9)]
    [InlineData("text", 1 << 20, 1)]
    [InlineData("em", 1 << 20, 1)]
    public void RoundTrips(string kind, int size, int level)
    {
        var data = Bz2XzTestData.Make(kind, size);
        var codec = new Bzip2Codec(level);
        var packed = codec.Encode(data, 1);
        Assert.Equal("BZh" + level, System.Text.Encoding.ASCII.GetString(packed, 0, 4));
        var back = new byte[size];
        Assert.Equal(size, codec.Decode(packed, back));
        Assert.Equal(data, back);
        if (kind == "zeros") Assert.True(packed.Length < size / 100 + 64, $"zeros compressed to {packed.Length} bytes");
        if (kind == "text") Assert.True(packed.Length < size / 3 + 64, $"text compressed to {packed.Length} bytes");
        if (kind == "em") Assert.True(packed.Length < size * 0.9, $"EM-like data compressed to {packed.Length} bytes");
    }

    [Fact]
    public void RunsCrossingBlockBoundariesAndLongRunsRoundTrip()
    {
        // Runs of every length near the 4..255 run-length limits, with level 1 (100 kB blocks) splitting them.
        var ms = new MemoryStream();
        var rng = new Random(11);
        while (ms.Length < 400_000)
        {
            int run = rng.Next(10) == 0 ? rng.Next(250, 1200) : rng.Next(1, 9);
            byte b = (byte)rng.Next(4);
            for (int i = 0; i < run; i++) ms.WriteByte(b);
        }
        var data = ms.ToArray();
        var codec = new Bzip2Codec(1);
        var back = new byte[data.Length];
        Assert.Equal(data.Length, codec.Decode(codec.Encode(data, 1), back));
        Assert.Equal(data, back);
    }

    [Fact]
    public void ConcatenatedStreamsDecodeInOrder()
    {
        var a = Bz2XzTestData.Text(3000);
        var b = Bz2XzTestData.Random(2000, 5);
        var joined = new Bzip2Codec(1).Encode(a, 1).Concat(new Bzip2Codec(9).Encode(b, 1)).ToArray();
        var back = new byte[5000];
        Assert.Equal(5000, new Bzip2Codec().Decode(joined, back));
        Assert.Equal(a.Concat(b).ToArray(), back);
    }

    [Fact]
    public void RandomisedBlocksDecode()
    {
        var data = Bz2XzTestData.Make("text", 250_000);
        var packed = Bzip2Encoder.Encode(data, 1, randomise: true);
        Assert.Equal(1, (packed[14] >> 7) & 1); // first block's randomised bit: after "BZh1", magic and CRC
        var back = new byte[data.Length];
        Assert.Equal(data.Length, new Bzip2Codec().Decode(packed, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public void OutputLargerThanDestinationThrowsWithoutWritingPastIt()
    {
        var data = Bz2XzTestData.Text(10_000).Concat(new byte[5000]).ToArray();
        var packed = new Bzip2Codec().Encode(data, 1);
        foreach (int capacity in new[] { 0, 1, 4999, 14_999 })
        {
            var buffer = new byte[capacity + 64];
            Array.Fill(buffer, (byte)0xA5);
            Assert.Throws<CorruptDataException>(() => new Bzip2Codec().Decode(packed, buffer.AsSpan(0, capacity)));
            Assert.All(buffer.Skip(capacity), b => Assert.Equal(0xA5, b));
        }
    }

    [Fact]
    public void TruncatedStreamsThrowCorruptData()
    {
        var data = Bz2XzTestData.Text(20_000);
        var packed = new Bzip2Codec().Encode(data, 1);
        var back = new byte[data.Length];
        for (int len = 0; len < packed.Length; len += len < 64 ? 1 : 97)
            Assert.Throws<CorruptDataException>(() => new Bzip2Codec().Decode(packed.AsSpan(0, len), back));
    }

    [Fact]
    public void CorruptedBytesAreDetected()
    {
        var data = Bz2XzTestData.EmLike(30_000, 3);
        var packed = new Bzip2Codec(1).Encode(data, 1);
        var rng = new Random(17);
        var back = new byte[data.Length];
        int detected = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var bad = (byte[])packed.Clone();
            int at = rng.Next(bad.Length);
            bad[at] ^= (byte)(1 << rng.Next(8));
            try
            {
                int n = new Bzip2Codec().Decode(bad, back);
                // Only the zero padding bits of the last byte may change without effect.
                Assert.Equal(bad.Length - 1, at);
                Assert.Equal(data, back.AsSpan(0, n).ToArray());
            }
            catch (CorruptDataException)
            {
                detected++;
            }
        }
        Assert.True(detected >= 290, $"only {detected} of 300 corruptions were detected");
    }

    [Fact]
    public void GarbageAndTrailingDataAreRejected()
    {
        var back = new byte[100];
        Assert.Throws<CorruptDataException>(() => new Bzip2Codec().Decode("not bzip2"u8, back));
        Assert.Throws<CorruptDataException>(() => new Bzip2Codec().Decode("BZh0"u8, back));
        var packed = new Bzip2Codec().Encode("abc"u8, 1);
        Assert.Throws<CorruptDataException>(() => new Bzip2Codec().Decode(packed.Concat("xyz"u8.ToArray()).ToArray(), back));
    }

    [Fact]
    public void RegistryCreatesBzip2()
    {
        Assert.Contains("bz2", ChunkCodecs.Names);
        var codec = Assert.IsType<Bzip2Codec>(ChunkCodecs.Create("bz2", 1));
        Assert.Equal(1, codec.Level);
        Assert.Equal("bz2", codec.Name);
        Assert.Equal(9, Assert.IsType<Bzip2Codec>(ChunkCodecs.Create("bzip2")).Level);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bzip2Codec(0));
    }

    [FixtureTheory]
    [InlineData("uint8")]
    [InlineData("uint16")]
    [InlineData("float32")]
    public void DecodesZarrFixtureChunks(string dtype)
    {
        int chunks = Bz2XzTestData.CheckZarrFixture($"zarr2/{dtype}-bz2.zarr", dtype, new Bzip2Codec());
        Assert.Equal(18, chunks);
    }

    [FixtureTheory]
    [InlineData("uint8")]
    [InlineData("uint16")]
    [InlineData("float32")]
    public void DecodesN5FixtureBlocks(string dtype)
    {
        int blocks = Bz2XzTestData.CheckN5Fixture($"n5/{dtype}-bz2.n5", dtype, new Bzip2Codec());
        Assert.Equal(18, blocks);
    }

    [CompressorToolTheory("bzip2")]
    [InlineData("random", 300_000)]
    [InlineData("zeros", 1 << 20)]
    [InlineData("text", 1 << 20)]
    [InlineData("em", 1 << 20)]
    public void InteroperatesWithTheBzip2Tool(string kind, int size)
    {
        var data = Bz2XzTestData.Make(kind, size);
        foreach (int level in new[] { 1, 9 })
        {
            Assert.Equal(data, CompressorTools.Run("bzip2", "-dc", new Bzip2Codec(level).Encode(data, 1)));
            var theirs = CompressorTools.Run("bzip2", $"-{level} -c", data);
            var back = new byte[size];
            Assert.Equal(size, new Bzip2Codec().Decode(theirs, back));
            Assert.Equal(data, back);
        }
    }

    [CompressorToolFact("bzip2")]
    public void Bzip2ToolReadsRandomisedBlocks()
    {
        var data = Bz2XzTestData.EmLike(300_000, 9);
        Assert.Equal(data, CompressorTools.Run("bzip2", "-dc", Bzip2Encoder.Encode(data, 1, randomise: true)));
    }

    [PythonStdlibFact]
    public void PythonBz2ReadsOurStreams()
    {
        var data = Bz2XzTestData.EmLike(1_300_000, 12);
        foreach (int level in new[] { 1, 9 })
            Assert.Equal(data, PythonStdlibFactAttribute.Decompress("bz2", new Bzip2Codec(level).Encode(data, 1)));
        Assert.Equal(data, PythonStdlibFactAttribute.Decompress("bz2", Bzip2Encoder.Encode(data, 2, randomise: true)));
    }

    [SsTemFact]
    public void RealSectionRoundTripsAndCompresses()
    {
        var tif = File.ReadAllBytes(Path.Combine(SharedData.SsTemRaw, "00.tif"));
        var section = tif.AsSpan(tif.Length - (1 << 20)).ToArray(); // the uncompressed pixel strip ends the file
        var codec = new Bzip2Codec();
        var packed = codec.Encode(section, 1);
        var back = new byte[section.Length];
        Assert.Equal(section.Length, codec.Decode(packed, back));
        Assert.Equal(section, back);
        Assert.True(packed.Length < section.Length, $"a real EM section compressed to {packed.Length} bytes");
    }
}
