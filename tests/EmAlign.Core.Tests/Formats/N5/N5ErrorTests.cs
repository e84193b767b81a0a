using System.Buffers.Binary;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.N5;

/// <summary>N5 block modes and damaged blocks.</summary>
public class N5ErrorTests
{
    /// <summary>A raw uint16 dataset [x 4, y 4, z 2] in one block, and the path of that block.</summary>
    private static (string Dataset, string Block) MakeDataset(TempFolder tmp)
    {
        var path = tmp["d.n5"];
        using (var v = VolumeFormats.Create("n5", path, ZarrWriteTests.Options(DataType.UInt16, [2, 4, 4], [2, 4, 4])))
            v.Write<ushort>(0, Box3.FromSize(4, 4, 2), [.. Enumerable.Range(1, 32).Select(i => (ushort)i)]);
        return (path, Path.Combine(path, "0", "0", "0"));
    }

    private static byte[] Header(ushort mode, int[] dimsXFirst, uint? count = null)
    {
        var h = new byte[4 + 4 * dimsXFirst.Length + (count is null ? 0 : 4)];
        BinaryPrimitives.WriteUInt16BigEndian(h, mode);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)dimsXFirst.Length);
        for (int i = 0; i < dimsXFirst.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dimsXFirst[i]);
        if (count is { } c) BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(h.Length - 4), c);
        return h;
    }

    private static byte[] Payload(int n) => [.. Enumerable.Range(1, n).SelectMany(i => new byte[] { 0, (byte)i })];

    private static ushort[] Read(string path)
    {
        using var v = VolumeFormats.Open(path);
        var buffer = new byte[64];
        v.Levels[0].Array.TryReadChunk([0, 0, 0], buffer);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(buffer).ToArray();
    }

    [Fact]
    public void VarlengthBlocksWithTheBlocksElementCountRead()
    {
        using var tmp = new TempFolder();
        var (path, block) = MakeDataset(tmp);
        File.WriteAllBytes(block, [.. Header(1, [4, 4, 2], 32), .. Payload(32)]);
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (ushort)i), Read(path));
    }

    [Fact]
    public void TruncatedBlocksFromJavaWritersArePaddedWithZeros()
    {
        using var tmp = new TempFolder();
        var (path, block) = MakeDataset(tmp);
        File.WriteAllBytes(block, [.. Header(0, [3, 2, 1]), .. Payload(6)]);
        var got = Read(path);
        Assert.Equal(new ushort[] { 1, 2, 3, 0, 4, 5, 6, 0 }, got[..8]);
        Assert.All(got[8..], v => Assert.Equal(0, v));
    }

    [Fact]
    public void VarlengthBlocksWithOtherCountsAndObjectBlocksAreRejected()
    {
        using var tmp = new TempFolder();
        var (path, block) = MakeDataset(tmp);
        File.WriteAllBytes(block, [.. Header(1, [4, 4, 2], 7), .. Payload(7)]);
        var e = Assert.Throws<InvalidVolumeException>(() => Read(path));
        Assert.Contains(block, e.Message);
        Assert.Contains("varlength", e.Message);
        File.WriteAllBytes(block, [0, 2, 0, 0, 0, 3, 1, 2, 3]);
        Assert.Contains("object block", Assert.Throws<InvalidVolumeException>(() => Read(path)).Message);
    }

    [Fact]
    public void DamagedBlocksAreCorruptDataNamingTheBlock()
    {
        using var tmp = new TempFolder();
        var (path, block) = MakeDataset(tmp);
        File.WriteAllBytes(block, [.. Header(0, [4, 4, 2]), .. Payload(20)]);   // short payload
        Assert.Contains(block, Assert.Throws<CorruptDataException>(() => Read(path)).Message);
        File.WriteAllBytes(block, [.. Header(0, [5, 4, 2]), .. Payload(40)]);   // larger than blockSize
        Assert.Contains("blockSize", Assert.Throws<CorruptDataException>(() => Read(path)).Message);
        File.WriteAllBytes(block, [0, 0, 0, 3, 0]);                              // cut inside the header
        Assert.Contains(block, Assert.Throws<CorruptDataException>(() => Read(path)).Message);
    }

    [Fact]
    public void UnsupportedCompressionAndTypesNameTheAttributesFile()
    {
        using var tmp = new TempFolder();
        var (path, _) = MakeDataset(tmp);
        var file = Path.Combine(path, "attributes.json");
        File.WriteAllText(file, """{"dimensions":[4,4,2],"blockSize":[4,4,2],"dataType":"uint16","compression":{"type":"snappy"}}""");
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains("snappy", e.Message);
        Assert.Contains(file, e.Message);
        File.WriteAllText(file, """{"dimensions":[4,4,2],"blockSize":[4,4,2],"dataType":"object","compression":{"type":"raw"}}""");
        Assert.Contains("object", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path)).Message);
    }

    [Fact]
    public void MultiscalesPathsOutsideTheGroupAreRejected()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp["m.n5"]);
        File.WriteAllText(tmp["m.n5/attributes.json"], """{"n5":"2.0.0","multiscales":[{"datasets":[{"path":"../d.n5"}]}]}""");
        Assert.Contains("'../d.n5'", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["m.n5"])).Message);
    }
}
