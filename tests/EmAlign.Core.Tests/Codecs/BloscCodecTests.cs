using System.Buffers.Binary;
using EmAlign.Codecs;
using EmAlign.Diagnostics;

namespace EmAlign.Tests.Codecs;

public class BloscCodecTests
{

    private static byte[] UInt16Ramp(int count)
    {
        var data = new byte[2 * count];
        for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), (ushort)i);
        return data;
    }

    [Fact]
    public void SmallInputsAreStoredFramesLikeCBloscA9()
    {
        var frame = new BloscCodec("lz4", 5, 1).Encode(UInt16Ramp(10), 2);
        byte[] header = [0x02, 0x01, 0x33, 0x02, 0x14, 0, 0, 0, 0x14, 0, 0, 0, 0x24, 0, 0, 0];
        Assert.Equal([.. header, .. UInt16Ramp(10)], frame);
    }

    [Fact]
    public void EmptyAndOneByteInputsMatchCBlosc()
    {
        // c-blosc 1.21: empty input has block size 1; both are stored, flagged "do not split".
        Assert.Equal(new byte[] { 2, 1, 0x33, 1, 0, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0 }, new BloscCodec().Encode([], 1));
        Assert.Equal(new byte[] { 2, 1, 0x13, 1, 1, 0, 0, 0, 1, 0, 0, 0, 17, 0, 0, 0, 0x42 }, new BloscCodec("blosclz").Encode([0x42], 1));
        Assert.Equal(0, new BloscCodec().Decode(new BloscCodec().Encode([], 1), []));
    }

    [Fact]
    public void DecodesTheBloscLzShuffleVector()
    {
        var frame = new List<byte> { 0x02, 0x01, 0x01, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x28, 0x01, 0x00, 0x00 };
        frame.AddRange([0x14, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]);
        frame.AddRange(Enumerable.Range(0, 256).Select(i => (byte)i));
        frame.AddRange([0x0C, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x00, 0xE0, 0xF0, 0x03, 0x02, 0x00, 0x00, 0x00]);
        Assert.Equal(296, frame.Count);
        var output = new byte[512];
        Assert.Equal(512, new BloscCodec().Decode(frame.ToArray(), output));
        Assert.Equal(UInt16Ramp(256), output);
    }

    [Theory]
    [InlineData("blosclz", 1, 0x01)]
    [InlineData("lz4", 0, 0x22)]
    [InlineData("lz4", 1, 0x21)]
    [InlineData("lz4", 2, 0x24)]
    [InlineData("lz4hc", 1, 0x21)]
    [InlineData("zlib", 1, 0x61)]
    public void HeadersMatchCBloscFor256UInt16(string cname, int shuffle, int flags)
    {
        var data = UInt16Ramp(256);
        var frame = new BloscCodec(cname, 5, shuffle).Encode(data, 2);
        Assert.Equal(new byte[] { 0x02, 0x01, (byte)flags, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00 }, frame[..12]);
        Assert.Equal(frame.Length, BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(12)));
        if ((flags & 0x02) != 0) Assert.Equal(528, frame.Length);
        else Assert.True(frame.Length < 400, $"{cname} frame has {frame.Length} bytes");
        var output = new byte[512];
        Assert.Equal(512, new BloscCodec().Decode(frame, output));
        Assert.Equal(data, output);
    }

    [Theory]
    [InlineData("lz4", 1, 2, 65536)]
    [InlineData("lz4", 5, 1, 131072)]
    [InlineData("lz4", 5, 4, 524288)]
    [InlineData("lz4", 9, 8, 1048576)]
    [InlineData("lz4hc", 5, 1, 262144)]
    [InlineData("zlib", 5, 2, 524288)]
    [InlineData("blosclz", 5, 16, 1048576)]
    [InlineData("lz4", 5, 17, 131070)] // typesize > 16: no split, block size stays a multiple of 17
    public void ChoosesBlockSizesLikeCBlosc(string cname, int clevel, int typeSize, int expected)
    {
        var data = CodecTestData.Runs(4 << 20, 1);
        var frame = new BloscCodec(cname, clevel, 1).Encode(data, typeSize);
        Assert.Equal(expected, BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(8)));
    }

    public static IEnumerable<object[]> RoundTripSettings()
    {
        foreach (string cname in new[] { "lz4", "lz4hc", "blosclz", "zlib" })
            foreach (int shuffle in new[] { -1, 0, 1, 2 })
                yield return [cname, 5, shuffle, 0];
        yield return ["lz4", 0, 1, 0];
        yield return ["lz4", 1, 1, 0];
        yield return ["lz4", 9, 2, 0];
        yield return ["blosclz", 9, 1, 0];
        yield return ["lz4", 5, 1, 256];
        yield return ["blosclz", 5, 2, 4096];
    }

    [Theory]
    [MemberData(nameof(RoundTripSettings))]
    public void RoundTripsManyShapes(string cname, int clevel, int shuffle, int blocksize)
    {
        var codec = new BloscCodec(cname, clevel, shuffle, blocksize);
        foreach (int typeSize in new[] { 1, 2, 3, 4, 8, 16, 17 })
        {
            foreach (int n in new[] { 0, 1, 127, 128, 129, 1000, 4096 + 5, 65537, 300001 })
            {
                int bytes = n * (typeSize == 1 ? 3 : 1);
                if (n > 100000 && typeSize is not (1 or 2 or 4)) continue; // keeps the test quick
                foreach (var (name, data) in CodecTestData.Kinds(bytes, bytes + typeSize))
                {
                    if (cname is "zlib" or "lz4hc" && name == "random" && bytes > 100000) continue;
                    var frame = codec.Encode(data, typeSize);
                    Assert.True(frame.Length <= bytes + BloscCodec.HeaderSize, $"frame of {frame.Length} for {bytes} bytes");
                    var output = new CodecTestData.Guarded(bytes);
                    Assert.Equal(bytes, codec.Decode(frame, output.Span));
                    Assert.True(output.Span.SequenceEqual(data), $"{cname}/{clevel}/{shuffle}/{blocksize}: {name} of {bytes} bytes, typesize {typeSize}");
                    output.AssertCanaryIntact();
                }
            }
        }
    }

    [Fact]
    public void CompressesRedundantDataAndFallsBackToStoredForNoise()
    {
        var runs = CodecTestData.Runs(1 << 20, 4);
        var compressed = new BloscCodec().Encode(runs, 1);
        Assert.True(compressed.Length < runs.Length / 4, $"{compressed.Length} of {runs.Length}");
        Assert.Equal(0, compressed[2] & 0x02);

        var noise = CodecTestData.Random(1 << 20, 4);
        var stored = new BloscCodec().Encode(noise, 1);
        Assert.Equal(0x02, stored[2] & 0x02);
        Assert.Equal(noise.Length + 16, stored.Length);
        Assert.Equal(noise, stored[16..]);
    }

    [Fact]
    public void ReadsBlocksStoredOutOfOrder()
    {
        var data = CodecTestData.Runs(5 * 4096 + 100, 2);
        var frame = new BloscCodec("lz4", 5, 1, 4096).Encode(data, 4);
        int nblocks = 6;
        int tableEnd = 16 + 4 * nblocks;
        var starts = Enumerable.Range(0, nblocks).Select(b => BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(16 + 4 * b))).ToArray();
        var ends = starts.Skip(1).Append(frame.Length).ToArray();
        var reordered = frame[..tableEnd].ToList();
        for (int b = nblocks - 1; b >= 0; b--)
        {
            BinaryPrimitives.WriteInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reordered)[(16 + 4 * b)..], reordered.Count);
            reordered.AddRange(frame[starts[b]..ends[b]]);
        }
        var output = new byte[data.Length];
        new BloscCodec().Decode(reordered.ToArray(), output);
        Assert.Equal(data, output);
    }

    [Fact]
    public void StoredFramesIgnoreTheShuffleBits()
    {
        var data = CodecTestData.Random(300, 3);
        byte[] header = [0x02, 0x01, 0x23, 0x02, 44, 1, 0, 0, 44, 1, 0, 0, 60, 1, 0, 0];
        var output = new byte[300];
        Assert.Equal(300, new BloscCodec().Decode([.. header, .. data], output));
        Assert.Equal(data, output);
    }

    [Fact]
    public void FramesWithoutTheSplitFlagUseTheSizeTest()
    {
        // Blocks of 200 bytes of uint16 have 100 elements (< 128): never split, whether or not 0x10 is set.
        var data = CodecTestData.Runs(1000, 5);
        var frame = new BloscCodec("lz4", 5, 1, 200).Encode(data, 2);
        Assert.Equal(0x10, frame[2] & 0x10);
        frame[2] &= 0xEF;
        var output = new byte[1000];
        new BloscCodec().Decode(frame, output);
        Assert.Equal(data, output);
    }

    private static byte[] CompressibleFrame(out byte[] data)
    {
        data = CodecTestData.Runs(40000, 6);
        return new BloscCodec("lz4", 5, 1, 8192).Encode(data, 2);
    }

    [Fact]
    public void TruncatedFramesRaiseCorruptDataException()
    {
        var frame = CompressibleFrame(out var data);
        Assert.Equal(0, frame[2] & 0x02);
        for (int cut = 0; cut < frame.Length; cut += cut < 64 ? 1 : 7)
        {
            var prefix = frame[..cut];
            var output = new byte[data.Length];
            Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(prefix, output));
            if (cut >= 16)
            {
                BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(12), cut); // consistent header, missing streams
                Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(prefix, output));
            }
        }
    }

    [Fact]
    public void DeclaredSizeBeyondTheDestinationIsCorruptAndNothingIsWritten()
    {
        var frame = CompressibleFrame(out var data);
        var guarded = new CodecTestData.Guarded(data.Length - 1);
        var e = Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(frame, guarded.Span));
        Assert.Contains(data.Length.ToString(), e.Message);
        guarded.AssertCanaryIntact();
    }

    [Fact]
    public void RandomCorruptionOnlyEverRaisesCorruptDataException()
    {
        foreach (string cname in new[] { "lz4", "blosclz", "zlib" })
        {
            var data = CodecTestData.Runs(30000, 7);
            var frame = new BloscCodec(cname, 5, 2, 4096).Encode(data, 4);
            var rng = new Random(11);
            for (int trial = 0; trial < 500; trial++)
            {
                var damaged = (byte[])frame.Clone();
                for (int k = rng.Next(1, 3); k > 0; k--) damaged[rng.Next(damaged.Length)] = (byte)rng.Next(256);
                var output = new CodecTestData.Guarded(data.Length);
                try
                {
                    new BloscCodec().Decode(damaged, output.Span);
                }
                catch (CorruptDataException)
                {
                }
                output.AssertCanaryIntact();
            }
        }
    }

    [Fact]
    public void RejectsBlosc2SnappyAndUnknownFormats()
    {
        var frame = CompressibleFrame(out var data);
        var output = new byte[data.Length];
        var v3 = (byte[])frame.Clone();
        v3[0] = 3;
        Assert.Contains("Blosc2", Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(v3, output)).Message);
        var both = (byte[])frame.Clone();
        both[2] |= 0x05;
        Assert.Contains("Blosc2", Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(both, output)).Message);
        var snappy = (byte[])frame.Clone();
        snappy[2] = (byte)((snappy[2] & 0x1F) | (2 << 5));
        Assert.Contains("Snappy", Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(snappy, output)).Message);
        var unknown = (byte[])frame.Clone();
        unknown[2] = (byte)((unknown[2] & 0x1F) | (6 << 5));
        Assert.Contains("format 6", Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(unknown, output)).Message);
        Assert.Throws<CorruptDataException>(() => new BloscCodec().Decode(frame[..10], output));
    }

    [Fact]
    public void ZstdRoundTrips()
    {
        var data = CodecTestData.Runs(100000, 8);
        var codec = new BloscCodec("zstd", 5, 1);
        Assert.Equal("blosc-zstd", codec.Name);
        byte[] frame = codec.Encode(data, 2);
        Assert.Equal(0x90, frame[2] & 0xF0); // zstd, never split
        var output = new byte[data.Length];
        codec.Decode(frame, output);
        Assert.Equal(data, output);
    }

    [Theory]
    [InlineData("snappy", 5, 1, 0, "cname")]
    [InlineData("lz4", 10, 1, 0, "clevel")]
    [InlineData("lz4", -1, 1, 0, "clevel")]
    [InlineData("lz4", 5, 3, 0, "shuffle")]
    [InlineData("lz4", 5, 1, -1, "blocksize")]
    public void RejectsInvalidSettings(string cname, int clevel, int shuffle, int blocksize, string target)
    {
        var e = Assert.Throws<EmAlignException>(() => new BloscCodec(cname, clevel, shuffle, blocksize));
        Assert.Equal(target, e.Target);
    }

    [Fact]
    public void ChunkCodecNamesCreateWorkingCodecs()
    {
        var data = CodecTestData.Runs(100000, 12);
        foreach (string name in new[] { "lz4", "blosc-lz4", "blosc-lz4hc", "blosc-zlib", "blosc-blosclz" })
        {
            Assert.Contains(name, ChunkCodecs.Names);
            var codec = ChunkCodecs.Create(name)!;
            Assert.Equal(name, codec.Name);
            var encoded = codec.Encode(data, 1);
            Assert.True(encoded.Length < data.Length, name);
            var output = new byte[data.Length];
            Assert.Equal(data.Length, codec.Decode(encoded, output));
            Assert.Equal(data, output);
        }
        Assert.Equal(9, ((BloscCodec)ChunkCodecs.Create("blosc-lz4", 9)!).Clevel);
        Assert.Equal(5, ((BloscCodec)ChunkCodecs.Create("blosc-zlib")!).Clevel);
        Assert.Equal(1, ((BloscCodec)ChunkCodecs.Create("blosc-lz4")!).Shuffle);
    }
}
