using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Tests.Volumes;

public class VolumeViewTests
{
    [Fact]
    public void DescribesTheWorkingLevelAndRegion()
    {
        using var v = VolumeCopierTests.Source(37, 29, 11);
        var view = new VolumeView(v, 1, new Box3(5, 3, 2, 20, 13, 6));
        Assert.Equal(new Mag(2, 2, 1), view.Mag);
        Assert.Equal([Mag.One, new Mag(2, 2, 1)], view.Levels);
        // x 5..25 at mag 2 touches coarse voxels 2..13 (end rounded up), y 3..16 touches 1..8.
        Assert.Equal((11L, 7L, 6L), (view.SizeX, view.SizeY, view.SizeZ));
        Assert.Equal(DataType.UInt16, view.DataType);
        Assert.Equal("memory", view.Path);

        var whole = VolumeView.Select(v);
        Assert.Null(whole.Box);
        Assert.Equal(v.Bounds, whole.Region);
        Assert.Equal((37L, 29L, 11L), (whole.SizeX, whole.SizeY, whole.SizeZ));
    }

    [Fact]
    public void ClipsBoxesToTheVolumeAndRejectsDisjointOnes()
    {
        using var v = VolumeCopierTests.Source(37, 29, 11);
        Assert.Equal(new Box3(30, 0, 0, 7, 29, 11), new VolumeView(v, 0, new Box3(30, -5, 0, 100, 100, 100)).Box);
        Assert.Equal("box", Assert.Throws<EmAlignException>(() => new VolumeView(v, 0, new Box3(40, 0, 0, 5, 5, 5))).Target);
    }

    [Fact]
    public void SelectsLevelsByIndexOrMagButNotBoth()
    {
        using var v = VolumeCopierTests.Source();
        Assert.Equal(1, VolumeView.Select(v, mag: new Mag(2, 2, 1)).Level);
        Assert.Equal(1, VolumeView.Select(v, level: 1).Level);
        Assert.Equal("mag", Assert.Throws<EmAlignException>(() => VolumeView.Select(v, mag: new Mag(4, 4, 4))).Target);
        var ex = Assert.Throws<EmAlignException>(() => VolumeView.Select(v, level: 5));
        Assert.Equal("level", ex.Target);
        Assert.Contains("1-1-1, 2-2-1", ex.Message);
        Assert.Equal("level", Assert.Throws<EmAlignException>(() => VolumeView.Select(v, 1, new Mag(2, 2, 1))).Target);
    }

    [Fact]
    public void PathNamesTheDatasetInsideItsContainer()
    {
        var arr = new MemoryChunkedArray(DataType.UInt8, [1, 2, 2], [1, 2, 2]);
        using var v = new EmVolume("/data/x.n5", "n5", "lowres", [new VolumeLevel(Mag.One, arr)], VoxelSize.Unknown);
        Assert.Equal(Path.Combine("/data/x.n5", "lowres"), new VolumeView(v).Path);
        Assert.Equal(new Box3(0, 0, 0, 1, 1, 1), new VolumeView(v).WithBox(Box3.FromSize(1, 1, 1)).Box);
    }
}
