using System.Text;
using EmAlign.Codecs;

namespace EmAlign.Tests.Codecs;

public class ChecksumTests
{
    [Fact]
    public void Crc32CMatchesSpecVector()
    {
        // formats.md §9.1 / Appendix A8.
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Crc32CMatchesBitwiseDefinitionAtEveryTailLength()
    {
        var data = new byte[300];
        new Random(5).NextBytes(data);
        for (int n = 0; n <= data.Length; n += n < 40 ? 1 : 37)
            Assert.Equal(BitwiseCrc32C(data.AsSpan(0, n)), Crc32C.Compute(data.AsSpan(0, n)));
    }

    /// <summary>The bitwise form given in formats.md §9.1 (reflected polynomial 0x82F63B78).</summary>
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    [Fact]
    public void XxHashMatchesSpecVectors()
    {
        // formats.md §9.2 / Appendix A19.
        Assert.Equal(0x02CC5D05u, XxHash32.Compute([], 0));
        Assert.Equal(0x32D153FFu, XxHash32.Compute("abc"u8, 0));
        Assert.Equal(0x8D3B42D8u, XxHash32.Compute([], 0x9747B28C));
        Assert.Equal(0xEF46DB3751D8E999UL, XxHash64.Compute([], 0));
        Assert.Equal(0x44BC2CF5AD770999UL, XxHash64.Compute("abc"u8, 0));
    }

    [Fact]
    public void XxHashSeedChangesTheHash()
    {
        var data = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        Assert.NotEqual(XxHash32.Compute(data, 0), XxHash32.Compute(data, 1));
        Assert.NotEqual(XxHash64.Compute(data, 0), XxHash64.Compute(data, 1));
    }

    [CompressorToolFact("lz4")]
    public void XxHash32MatchesLz4FrameContentChecksums()
    {
        // An LZ4 frame ends with the XXH32 (seed 0) of its content: an independent implementation to compare with.
        var rng = new Random(11);
        foreach (int n in new[] { 1, 3, 4, 15, 16, 17, 31, 100, 1023, 70_001 })
        {
            var data = new byte[n];
            rng.NextBytes(data);
            var frame = CompressorTools.Run("lz4", "-q -c", data);
            uint expected = BitConverter.ToUInt32(frame, frame.Length - 4);
            Assert.Equal(expected, XxHash32.Compute(data, 0));
        }
    }

    [CompressorToolFact("zstd")]
    public void XxHash64MatchesZstdContentChecksums()
    {
        // zstd frames end with the low 32 bits of XXH64 (seed 0) of their content.
        var rng = new Random(12);
        foreach (int n in new[] { 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000, 100_003 })
        {
            var data = new byte[n];
            rng.NextBytes(data);
            var frame = CompressorTools.Run("zstd", "-q -c --check -1", data);
            Assert.Equal(BitConverter.ToUInt32(frame, frame.Length - 4), (uint)XxHash64.Compute(data, 0));
        }
    }
}
