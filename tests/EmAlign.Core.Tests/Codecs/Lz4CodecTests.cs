using System.Buffers.Binary;
using EmAlign.Codecs;
using EmAlign.Diagnostics;

namespace EmAlign.Tests.Codecs;

public class Lz4CodecTests
{
    [Fact]
    public void WritesTheNumcodecsSizePrefixA12()
    {
        var data = CodecTestData.EmLike(512, 1);
        var encoded = new Lz4Codec().Encode(data, 1);
        Assert.Equal(new byte[] { 0x00, 0x02, 0x00, 0x00 }, encoded[..4]);
        var block = new byte[512];
        Assert.Equal(512, Lz4Block.Decode(encoded.AsSpan(4), block));
        Assert.Equal(data, block);
    }

    [Fact]
    public void RoundTripsAllSizes()
    {
        foreach (var codec in new[] { new Lz4Codec(), new Lz4Codec(10) })
        {
            foreach (int n in CodecTestData.Sizes)
            {
                foreach (var (name, data) in CodecTestData.Kinds(n, n))
                {
                    var encoded = codec.Encode(data, 1);
                    Assert.Equal(n, BinaryPrimitives.ReadInt32LittleEndian(encoded));
                    var output = new CodecTestData.Guarded(n);
                    Assert.Equal(n, codec.Decode(encoded, output.Span));
                    Assert.True(output.Span.SequenceEqual(data), $"{name} {n}");
                    output.AssertCanaryIntact();
                }
            }
        }
    }

    [Fact]
    public void DecodesIntoALargerDestination()
    {
        var data = CodecTestData.Runs(1000, 2);
        var output = new byte[2000];
        Assert.Equal(1000, new Lz4Codec().Decode(new Lz4Codec().Encode(data, 1), output));
        Assert.Equal(data, output[..1000]);
    }

    [Fact]
    public void RejectsBadSizesAndTruncation()
    {
        var codec = new Lz4Codec();
        var data = CodecTestData.Runs(4000, 3);
        var encoded = codec.Encode(data, 1);
        var small = new CodecTestData.Guarded(3999);
        var e = Assert.Throws<CorruptDataException>(() => codec.Decode(encoded, small.Span));
        Assert.Contains("4000", e.Message);
        small.AssertCanaryIntact();

        Assert.Throws<CorruptDataException>(() => codec.Decode(encoded[..3], new byte[4000]));
        Assert.Throws<CorruptDataException>(() => codec.Decode(encoded[..4], new byte[4000]));
        Assert.Throws<CorruptDataException>(() => codec.Decode(encoded[..(encoded.Length / 2)], new byte[4000]));

        // A header claiming more than the block produces.
        var lying = (byte[])encoded.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(lying, 4001);
        Assert.Throws<CorruptDataException>(() => codec.Decode(lying, new byte[5000]));
        BinaryPrimitives.WriteInt32LittleEndian(lying, -5);
        Assert.Throws<CorruptDataException>(() => codec.Decode(lying, new byte[5000]));
    }

    [Fact]
    public void RejectsInvalidAcceleration()
    {
        var e = Assert.Throws<EmAlignException>(() => new Lz4Codec(0));
        Assert.Equal("acceleration", e.Target);
    }
}
