using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Tests.Volumes;

public class EmVolumeTests
{
    private static EmVolume Make(long[] shape, int[] chunks, DataType t = DataType.UInt16, long cacheBytes = 1 << 20) =>
        new("mem", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(t, shape, chunks))], VoxelSize.Unknown, new ChunkCache(cacheBytes));

    [Fact]
    public void WriteThenReadAnyBoxRoundTrips()
    {
        using var v = Make([7, 45, 61], [3, 16, 32]);
        var all = Box3.FromSize(61, 45, 7);
        var data = new ushort[all.VoxelCount];
        for (int i = 0; i < data.Length; i++) data[i] = (ushort)(i * 7 % 65521);
        v.Write<ushort>(0, all, data);
        var box = new Box3(5, 9, 1, 40, 30, 5);
        var part = v.Read<ushort>(0, box);
        for (int z = 0; z < 5; z++)
            for (int y = 0; y < 30; y++)
                for (int x = 0; x < 40; x++)
                    Assert.Equal(data[((z + 1) * 45 + y + 9) * 61 + x + 5], part[(z * 30 + y) * 40 + x]);
    }

    [Fact]
    public void WholePlaneChunksReadInPlaceIncludingMissingOnes()
    {
        // Chunks spanning the full x and y extent are decoded straight into the block.
        using var v = Make([4, 8, 16], [1, 8, 16], DataType.UInt16);
        var plane = Enumerable.Range(0, 128).Select(i => (ushort)(i + 1)).ToArray();
        v.Write<ushort>(0, new Box3(0, 0, 2, 16, 8, 1), plane);
        var r = v.Read<ushort>(0, new Box3(0, 0, 1, 16, 8, 3));
        Assert.All(r[..128], x => Assert.Equal(0, x));
        Assert.Equal(plane, r[128..256]);
        Assert.All(r[256..], x => Assert.Equal(0, x));
    }

    [Fact]
    public void OutsideTheArrayReadsFillAndPartialWritesMerge()
    {
        using var v = Make([4, 10, 10], [2, 4, 4], DataType.UInt8);
        v.Write<byte>(0, new Box3(1, 1, 1, 2, 2, 1), [1, 2, 3, 4]);
        v.Write<byte>(0, new Box3(2, 2, 1, 2, 1, 1), [9, 9]);
        var r = v.Read<byte>(0, new Box3(-1, 1, 1, 5, 2, 1));
        Assert.Equal(new byte[] { 0, 0, 1, 2, 0, 0, 0, 3, 9, 9 }, r);
    }

    [Fact]
    public void ChannelAxisIsOutermost()
    {
        using var v = Make([2, 3, 5, 5], [1, 2, 2, 2], DataType.UInt8);
        var all = Box3.FromSize(5, 5, 3);
        var data = Enumerable.Range(0, 150).Select(i => (byte)i).ToArray();
        v.Write<byte>(0, all, data);
        Assert.Equal(2, v.Channels);
        var r = v.Read<byte>(0, new Box3(1, 1, 1, 1, 1, 1));
        Assert.Equal(new byte[] { data[(1 * 5 + 1) * 5 + 1], data[75 + (1 * 5 + 1) * 5 + 1] }, r);
    }

    [Fact]
    public void CacheStaysWithinItsCapacity()
    {
        using var v = Make([8, 64, 64], [1, 16, 16], DataType.UInt8, cacheBytes: 4 * 256);
        v.Write<byte>(0, Box3.FromSize(64, 64, 8), new byte[8 * 64 * 64]);
        v.Read<byte>(0, Box3.FromSize(64, 64, 8));
        Assert.True(v.Cache.SizeBytes <= 4 * 256);
    }
}
