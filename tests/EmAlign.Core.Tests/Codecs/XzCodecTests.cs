using System.Buffers.Binary;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Codecs;

public class XzCodecTests
{
    [Theory]
    [InlineData("random", 0, 6)]
    [InlineData("random", 1, 6)]
    [InlineData("text", 777, 0)]
    [InlineData("zeros", 5000, 9)]
    [InlineData("random", 1 << 20, 6)]
    [InlineData("zeros", 1 << 20, 6)]
    [InlineData("text", 1 << 20, 1)]
    [InlineData("em", 1 << 20, 6)]
    public void RoundTrips(string kind, int size, int preset)
    {
        var data = Bz2XzTestData.Make(kind, size);
        var codec = new XzCodec(preset);
        var packed = codec.Encode(data, 1);
        Assert.Equal(XzDecoder.HeaderMagic.ToArray(), packed.Take(6).ToArray());
        var back = new byte[size];
        Assert.Equal(size, codec.Decode(packed, back));
        Assert.Equal(data, back);
        if (kind == "zeros") Assert.True(packed.Length < size / 100 + 128, $"zeros compressed to {packed.Length} bytes");
        if (kind == "text") Assert.True(packed.Length < size / 3 + 128, $"text compressed to {packed.Length} bytes");
        if (kind == "em") Assert.True(packed.Length < size * 0.9, $"EM-like data compressed to {packed.Length} bytes");
        if (kind == "random") Assert.True(packed.Length <= size + size / 100 + 64, $"noise grew to {packed.Length} bytes");
    }

    [Fact]
    public void LongInputsUseEveryLzma2ChunkKind()
    {
        // Compressible text past the 2 MiB chunk limit, then noise (stored chunks), then EM-like data
        // (LZMA chunks that must reset the state after the stored ones).
        var data = Bz2XzTestData.Text(2_500_000).Concat(Bz2XzTestData.Random(200_000, 2)).Concat(Bz2XzTestData.EmLike(400_000, 4)).ToArray();
        var packed = new XzCodec(1).Encode(data, 1);
        var controls = Lzma2Controls(packed);
        Assert.Equal(0xE0, controls[0] & 0xE0);
        Assert.Contains(controls, c => c >= 0x80 && (c & 0xE0) == 0x80);
        Assert.Contains(controls, c => c == 0x02);
        Assert.Contains(controls, c => (c & 0xE0) == 0xA0);
        var back = new byte[data.Length];
        Assert.Equal(data.Length, new XzCodec().Decode(packed, back));
        Assert.Equal(data, back);
    }

    /// <summary>Control bytes of the LZMA2 chunks in the single block of one of our streams.</summary>
    private static List<int> Lzma2Controls(byte[] xz)
    {
        int p = 12 + (xz[12] + 1) * 4, control;
        var list = new List<int>();
        while ((control = xz[p]) != 0)
        {
            list.Add(control);
            if (control >= 0x80) p += 6 + (control >= 0xC0 ? 1 : 0) + (xz[p + 3] << 8) + xz[p + 4];
            else p += 4 + (xz[p + 1] << 8) + xz[p + 2];
        }
        return list;
    }

    [Fact]
    public void ConcatenatedStreamsWithPaddingDecodeInOrder()
    {
        var a = Bz2XzTestData.Text(3000);
        var b = Bz2XzTestData.Random(2000, 5);
        var joined = new XzCodec(0).Encode(a, 1).Concat(new byte[8]).Concat(new XzCodec(6).Encode(b, 1)).Concat(new byte[4]).ToArray();
        var back = new byte[5000];
        Assert.Equal(5000, new XzCodec().Decode(joined, back));
        Assert.Equal(a.Concat(b).ToArray(), back);
        // Padding that is not a multiple of four bytes is not stream padding.
        Assert.Throws<CorruptDataException>(() => new XzCodec().Decode(joined.Concat(new byte[2]).ToArray(), back));
    }

    [Fact]
    public void OutputLargerThanDestinationThrowsWithoutWritingPastIt()
    {
        var data = Bz2XzTestData.Text(10_000).Concat(Bz2XzTestData.Random(5000, 1)).ToArray();
        var packed = new XzCodec().Encode(data, 1);
        foreach (int capacity in new[] { 0, 1, 9999, 14_999 })
        {
            var buffer = new byte[capacity + 64];
            Array.Fill(buffer, (byte)0xA5);
            Assert.Throws<CorruptDataException>(() => new XzCodec().Decode(packed, buffer.AsSpan(0, capacity)));
            Assert.All(buffer.Skip(capacity), b => Assert.Equal(0xA5, b));
        }
    }

    [Fact]
    public void TruncatedStreamsThrowCorruptData()
    {
        var data = Bz2XzTestData.Text(20_000);
        var packed = new XzCodec().Encode(data, 1);
        var back = new byte[data.Length];
        for (int len = 0; len < packed.Length; len += len < 80 || len > packed.Length - 80 ? 1 : 37)
            Assert.Throws<CorruptDataException>(() => new XzCodec().Decode(packed.AsSpan(0, len), back));
    }

    [Fact]
    public void CorruptedBytesAreDetected()
    {
        var data = Bz2XzTestData.EmLike(30_000, 3);
        var packed = new XzCodec().Encode(data, 1);
        var rng = new Random(17);
        var back = new byte[data.Length];
        for (int trial = 0; trial < 300; trial++)
        {
            var bad = (byte[])packed.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            Assert.Throws<CorruptDataException>(() => new XzCodec().Decode(bad, back));
        }
    }

    [Fact]
    public void RegistryCreatesXz()
    {
        Assert.Contains("xz", ChunkCodecs.Names);
        var codec = Assert.IsType<XzCodec>(ChunkCodecs.Create("xz", 3));
        Assert.Equal(3, codec.Preset);
        Assert.Equal("xz", codec.Name);
        Assert.Equal(6, Assert.IsType<XzCodec>(ChunkCodecs.Create("lzma")).Preset);
        Assert.Throws<ArgumentOutOfRangeException>(() => new XzCodec(10));
    }

    [Fact]
    public void SmallInputsDeclareSmallDictionaries()
    {
        var packed = new XzCodec(9).Encode(Bz2XzTestData.Text(1000), 1);
        int headerStart = 12;
        // Block header: size, flags, two size VLIs, then filter id 0x21, property size 1, dictionary byte.
        int p = headerStart + 2;
        while ((packed[p++] & 0x80) != 0) { }
        while ((packed[p++] & 0x80) != 0) { }
        Assert.Equal(0x21, packed[p]);
        Assert.Equal(0, packed[p + 2]); // 4 KiB
    }

    [FixtureTheory]
    [InlineData("uint8")]
    [InlineData("uint16")]
    [InlineData("float32")]
    public void DecodesN5FixtureBlocks(string dtype)
    {
        int blocks = Bz2XzTestData.CheckN5Fixture($"n5/{dtype}-lzma-xz.n5", dtype, new XzCodec());
        Assert.Equal(18, blocks);
    }

    [CompressorToolTheory("xz")]
    [InlineData("random", 300_000)]
    [InlineData("zeros", 1 << 20)]
    [InlineData("text", 1 << 20)]
    [InlineData("em", 1 << 20)]
    public void InteroperatesWithTheXzTool(string kind, int size)
    {
        var data = Bz2XzTestData.Make(kind, size);
        foreach (int preset in new[] { 0, 6 })
        {
            Assert.Equal(data, CompressorTools.Run("xz", "-dc", new XzCodec(preset).Encode(data, 1)));
            var theirs = CompressorTools.Run("xz", $"-{preset} -c", data);
            var back = new byte[size];
            Assert.Equal(size, new XzCodec().Decode(theirs, back));
            Assert.Equal(data, back);
        }
    }

    [CompressorToolTheory("xz")]
    [InlineData("-C none")]
    [InlineData("-C crc32")]
    [InlineData("-C crc64")]
    [InlineData("-C sha256")]
    [InlineData("--block-size=100000")]
    [InlineData("--delta=dist=2 --lzma2=preset=1")]
    [InlineData("--lzma2=preset=3,lc=0,lp=2,pb=0")]
    public void DecodesXzToolVariants(string options)
    {
        var data = Bz2XzTestData.EmLike(400_000, 8);
        var theirs = CompressorTools.Run("xz", $"{options} -c", data);
        var back = new byte[data.Length];
        Assert.Equal(data.Length, new XzCodec().Decode(theirs, back));
        Assert.Equal(data, back);
        if (!options.Contains("none"))
        {
            // Damage the check field (the last bytes before the index): it must be noticed.
            int checkAt = CheckFieldOffset(theirs);
            theirs[checkAt] ^= 1;
            Assert.Throws<CorruptDataException>(() => new XzCodec().Decode(theirs, back));
        }
    }

    /// <summary>Offset of the last block's check field: just before the index, which the footer locates.</summary>
    private static int CheckFieldOffset(byte[] xz)
    {
        long indexSize = ((long)BinaryPrimitives.ReadUInt32LittleEndian(xz.AsSpan(xz.Length - 8)) + 1) * 4;
        return (int)(xz.Length - 12 - indexSize - 4);
    }

    [PythonStdlibFact]
    public void PythonLzmaReadsOurStreams()
    {
        var data = Bz2XzTestData.EmLike(1_300_000, 12).Concat(Bz2XzTestData.Random(100_000, 3)).ToArray();
        foreach (int preset in new[] { 0, 6 })
            Assert.Equal(data, PythonStdlibFactAttribute.Decompress("lzma", new XzCodec(preset).Encode(data, 1)));
    }

    [SsTemFact]
    public void RealSectionRoundTripsAndCompresses()
    {
        var tif = File.ReadAllBytes(Path.Combine(SharedData.SsTemRaw, "00.tif"));
        var section = tif.AsSpan(tif.Length - (1 << 20)).ToArray(); // the uncompressed pixel strip ends the file
        var codec = new XzCodec();
        var packed = codec.Encode(section, 1);
        var back = new byte[section.Length];
        Assert.Equal(section.Length, codec.Decode(packed, back));
        Assert.Equal(section, back);
        Assert.True(packed.Length < section.Length, $"a real EM section compressed to {packed.Length} bytes");
    }
}
