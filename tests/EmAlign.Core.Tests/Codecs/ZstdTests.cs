using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

public class ZstdTests
{
    private static byte[] Decode(byte[] frame, int size)
    {
        var output = new byte[size];
        Assert.Equal(size, Zstd.Decompress(frame, output));
        return output;
    }

    private static void AssertRoundTrip(byte[] data, int level, bool checksum = false)
    {
        var frame = Zstd.Compress(data, level, checksum);
        Assert.True(Zstd.TryGetDecompressedSize(frame, out long declared));
        Assert.Equal(data.Length, declared);
        var output = new byte[data.Length];
        Assert.Equal(data.Length, Zstd.Decompress(frame, output));
        Assert.True(data.AsSpan().SequenceEqual(output), $"round trip differs: {data.Length} bytes, level {level}");
    }

    [Fact]
    public void DecodesSpecFrameOfHundredThousandZeros()
    {
        // formats.md §5.6.4 / Appendix A14: numcodecs Zstd(3) of 100 000 zero bytes.
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0xA0, 0x86, 0x01, 0x00, 0x55, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x9B, 0x86, 0x39, 0xC0, 0x02];
        var output = Decode(frame, 100_000);
        Assert.DoesNotContain(output, b => b != 0);
    }

    [Fact]
    public void DecodesHandBuiltRawBlockFrame()
    {
        // formats.md §5.6.4 "cheap writer": 28 B5 2F FD 60 58 01, block header C1 12 00, 600 raw bytes.
        var content = CodecTestData.Random(600, 1);
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x60, 0x58, 0x01, 0xC1, 0x12, 0x00, .. content];
        Assert.Equal(content, Decode(frame, 600));
    }

    [Fact]
    public void WritesSingleSegmentHeaderWithContentSize()
    {
        // Appendix A13: 512 bytes -> 28 B5 2F FD 60 00 01 (FCS 0x0100 + 256).
        var frame = Zstd.Compress(CodecTestData.EmLike(512, 2), 1);
        Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x60, 0x00, 0x01 }, frame[..7]);
    }

    [Fact]
    public void LargeInputsUseAWindowAndStillDeclareTheirSize()
    {
        var data = ZstdTestData.FarRepeats(3 << 20, 100_000, 3);
        var frame = Zstd.Compress(data, 1);
        Assert.Equal(0x80, frame[4] & 0xE0); // 4-byte content size, not single segment
        Assert.Equal(3 << 20, BitConverter.ToInt32(frame, 6));
        Assert.Equal(data, Decode(frame, data.Length));
    }

    [FixtureTheory]
    [InlineData("uint8")]
    [InlineData("uint16")]
    [InlineData("float32")]
    public void DecodesNumcodecsChunks(string dtype)
    {
        // zarr-python 2.13 / numcodecs 0.11 Zstd(3) chunks; values follow the fixture rule (fixtures/README.md).
        Assert.Equal(18, Bz2XzTestData.CheckZarrFixture($"zarr2/{dtype}-zstd.zarr", dtype, new ZstdCodec()));
    }

    public static TheoryData<int> Sizes => new() { 0, 1, 2, 3, 15, 16, 17, 31, 32, 100, 255, 256, 1000, 1023, 1024, 4095, 4096, 65535, 65791, 65792, 131071, 131072, 131073, 300_000 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RoundTripsEveryKindOfContentAtManySizes(int size)
    {
        foreach (var data in new[]
        {
            CodecTestData.Random(size, size), new byte[size], ZstdTestData.Periodic(size, 3, size), ZstdTestData.Periodic(size, 251, size),
            CodecTestData.EmLike(size, size), ZstdTestData.Ramp16(size), ZstdTestData.Labels64(size, size),
        })
        {
            AssertRoundTrip(data, 1);
            AssertRoundTrip(data, 3, checksum: true);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(19)]
    [InlineData(22)]
    public void RoundTripsAtEveryStrategy(int level)
    {
        AssertRoundTrip(CodecTestData.EmLike(400_000, level), level);
        AssertRoundTrip(ZstdTestData.Ramp16(300_000), level, checksum: true);
        AssertRoundTrip(ZstdTestData.Labels64(300_000, level), level);
        for (int period = 1; period <= 20; period++) AssertRoundTrip(ZstdTestData.Periodic(5000 + period, period, period), level);
    }

    [Fact]
    public void RoundTripsBeyondTheWindow()
    {
        // Level 1 uses a 2^19-byte window; copies from 700 KB back cannot be matched and must still round-trip.
        AssertRoundTrip(ZstdTestData.FarRepeats(2_500_000, 700_000, 4), 1);
        AssertRoundTrip(ZstdTestData.FarRepeats(2_500_000, 300_000, 5), 1, checksum: true);
        AssertRoundTrip(ZstdTestData.FarRepeats(3_000_000, 2_000_000, 6), 19);
    }

    [Fact]
    public void CompressesRedundantDataWell()
    {
        Assert.True(Zstd.Compress(new byte[1 << 20], 3).Length < 100);
        Assert.True(Zstd.Compress(ZstdTestData.Ramp16(1 << 20), 3).Length < (1 << 20) / 20);
        var em = CodecTestData.EmLike(1 << 20, 9);
        Assert.True(Zstd.Compress(em, 3).Length < em.Length * 0.9, "Huffman-coded literals should shrink EM-like noise");
        var random = CodecTestData.Random(1 << 20, 9);
        Assert.True(Zstd.Compress(random, 3).Length <= random.Length + 64, "incompressible data must be stored, not expanded");
    }

    [SsTemFact]
    public void RoundTripsRealSsTemPlanes()
    {
        var files = Directory.GetFiles(SharedData.SsTemRaw, "*.tif").Order().Take(3).ToArray();
        var data = files.SelectMany(File.ReadAllBytes).ToArray();
        AssertRoundTrip(data, 1);
        AssertRoundTrip(data, 3, checksum: true);
    }

    [Fact]
    public void DecodesConcatenatedAndSkippableFrames()
    {
        var a = CodecTestData.EmLike(70_000, 1);
        var b = ZstdTestData.Ramp16(50_000);
        byte[] skippable = [0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9];
        byte[] stream = [.. Zstd.Compress(a, 3), .. skippable, .. Zstd.Compress(b, 1, checksum: true), .. skippable];
        Assert.True(Zstd.TryGetDecompressedSize(stream, out long size));
        Assert.Equal(a.Length + b.Length, size);
        Assert.Equal([.. a, .. b], Decode(stream, a.Length + b.Length));
    }

    [Fact]
    public void NeverWritesOutsideTheDestination()
    {
        foreach (var (name, data) in CodecTestData.Kinds(70_000, 3))
        foreach (int level in new[] { 1, 3, 9 })
        {
            var frame = Zstd.Compress(data, level);
            var exact = new CodecTestData.Guarded(data.Length);
            Assert.Equal(data.Length, Zstd.Decompress(frame, exact.Span));
            Assert.True(exact.Span.SequenceEqual(data), $"{name} at level {level}");
            exact.AssertCanaryIntact();
            var small = new CodecTestData.Guarded(data.Length - 100);
            Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, small.Span));
            small.AssertCanaryIntact();
        }
    }

    [Fact]
    public void RejectsDestinationTooSmall()
    {
        var data = CodecTestData.EmLike(10_000, 3);
        var frame = Zstd.Compress(data, 3);
        var ex = Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, new byte[data.Length - 1]));
        Assert.Contains("expected", ex.Message);
    }

    [Fact]
    public void RejectsMoreOutputThanRoomWhenTheSizeIsNotDeclared()
    {
        // Raw frame without content size (descriptor 0x00, window byte 0x00 = 1 KiB): 600 bytes into 599.
        var content = CodecTestData.Random(600, 2);
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0xC1, 0x12, 0x00, .. content];
        Assert.False(Zstd.TryGetDecompressedSize(frame, out _));
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, new byte[599]));
        var room = new byte[700];
        Assert.Equal(600, Zstd.Decompress(frame, room));
        Assert.Equal(content, room[..600]);
    }

    [Fact]
    public void RejectsDictionaryFramesClearly()
    {
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x21, 0x07, 0x05, 0x01, 0x00, 0x00];
        var ex = Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, new byte[16]));
        Assert.Contains("dictionar", ex.Message);
    }

    [Fact]
    public void RejectsMalformedStreams()
    {
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress([], new byte[1]));
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress([1, 2, 3, 4, 5, 6, 7, 8], new byte[8]));
        // Reserved block type 3.
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress([0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x04, 0x27, 0x00, 0x00], new byte[4]));
        // Reserved descriptor bit.
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress([0x28, 0xB5, 0x2F, 0xFD, 0x28, 0x04, 0x01, 0x00, 0x00], new byte[4]));
        // Trailing bytes after a frame.
        byte[] withTail = [.. Zstd.Compress([1, 2, 3], 3), 0x00, 0x01];
        Assert.Throws<CorruptDataException>(() => Zstd.Decompress(withTail, new byte[3]));
    }

    [Fact]
    public void DetectsChecksumMismatch()
    {
        var data = CodecTestData.EmLike(5000, 4);
        var frame = Zstd.Compress(data, 3, checksum: true);
        frame[^1] ^= 0x40;
        var ex = Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame, new byte[data.Length]));
        Assert.Contains("checksum", ex.Message);
    }

    [Fact]
    public void EveryTruncationIsReportedAsCorrupt()
    {
        foreach (var data in new[] { CodecTestData.EmLike(3000, 5), ZstdTestData.Labels64(3000, 5), ZstdTestData.Ramp16(3000) })
        {
            var frame = Zstd.Compress(data, 3, checksum: true);
            for (int n = 0; n < frame.Length; n++)
                Assert.Throws<CorruptDataException>(() => Zstd.Decompress(frame.AsSpan(0, n), new byte[data.Length]));
        }
    }

    [Fact]
    public void DamagedStreamsOnlyEverRaiseCorruptData()
    {
        // Mutated frames must either decode to something within bounds or raise CorruptDataException, never
        // another exception (or a crash: the decoder runs on pointers). With a content checksum, damage that
        // changes the output is always caught.
        var rng = new Random(77);
        var inputs = new[] { CodecTestData.EmLike(20_000, 6), ZstdTestData.Labels64(20_000, 6), ZstdTestData.Ramp16(20_000), ZstdTestData.Periodic(20_000, 7, 6) };
        var output = new byte[20_000];
        foreach (var data in inputs)
        foreach (int level in new[] { 1, 3, 9 })
        foreach (bool checksum in new[] { false, true })
        {
            var frame = Zstd.Compress(data, level, checksum);
            for (int trial = 0; trial < 300; trial++)
            {
                var damaged = (byte[])frame.Clone();
                int flips = 1 + rng.Next(3);
                for (int k = 0; k < flips; k++) damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
                try
                {
                    int n = Zstd.Decompress(damaged, output);
                    Assert.InRange(n, 0, output.Length);
                    if (checksum) Assert.True(n == data.Length && output.AsSpan(0, n).SequenceEqual(data), "damage passed the checksum");
                }
                catch (CorruptDataException)
                {
                }
            }
        }
    }

    [Fact]
    public void CodecRoundTripsThroughTheRegistry()
    {
        var codec = ChunkCodecs.Create("zstd", 5);
        var zstd = Assert.IsType<ZstdCodec>(codec);
        Assert.Equal("zstd", zstd.Name);
        Assert.Equal(5, zstd.Level);
        Assert.Contains("zstd", ChunkCodecs.Names);
        var data = ZstdTestData.Ramp16(100_000);
        var encoded = codec!.Encode(data, 2);
        var decoded = new byte[data.Length];
        Assert.Equal(data.Length, codec.Decode(encoded, decoded));
        Assert.Equal(data, decoded);
        Assert.Equal(Zstd.DefaultLevel, Assert.IsType<ZstdCodec>(ChunkCodecs.Create("zstd")).Level);
    }
}

public class ZstdHuffmanLengthTests
{
    [Fact]
    public void LengthLimitedCodesAreCompleteAndWithinTheLimit()
    {
        // Fibonacci counts make an unlimited Huffman code 29 levels deep.
        var counts = new int[256];
        int a = 1, b = 1;
        for (int s = 0; s < 30; s++)
        {
            counts[s] = a;
            (a, b) = (b, a + b);
        }
        var length = new byte[256];
        int maxBits = EmAlign.Codecs.ZstdHuffmanEncoder.BuildLengths(counts, 11, length);
        Assert.Equal(11, maxBits);
        AssertComplete(counts, length, maxBits);
    }

    [Fact]
    public void UnconstrainedCodesCostAsMuchAsHuffman()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var counts = new int[256];
            int symbols = 2 + rng.Next(255);
            for (int s = 0; s < symbols; s++) counts[rng.Next(256)] += 1 + rng.Next(1000);
            var length = new byte[256];
            int maxBits = EmAlign.Codecs.ZstdHuffmanEncoder.BuildLengths(counts, 20, length);
            AssertComplete(counts, length, maxBits);
            long cost = 0;
            for (int s = 0; s < 256; s++) cost += (long)counts[s] * length[s];
            Assert.Equal(HuffmanCost(counts), cost);
        }
    }

    private static void AssertComplete(int[] counts, byte[] length, int maxBits)
    {
        long kraft = 0;
        for (int s = 0; s < 256; s++)
        {
            Assert.Equal(counts[s] > 0, length[s] > 0);
            if (length[s] > 0) kraft += 1L << (maxBits - length[s]);
        }
        Assert.Equal(1L << maxBits, kraft);
    }

    /// <summary>Total bits of a classic (unlimited) Huffman code: the sum of all merged weights.</summary>
    private static long HuffmanCost(int[] counts)
    {
        var queue = new PriorityQueue<long, long>();
        foreach (int c in counts)
            if (c > 0) queue.Enqueue(c, c);
        long total = 0;
        while (queue.Count > 1)
        {
            long merged = queue.Dequeue() + queue.Dequeue();
            total += merged;
            queue.Enqueue(merged, merged);
        }
        return total;
    }
}
