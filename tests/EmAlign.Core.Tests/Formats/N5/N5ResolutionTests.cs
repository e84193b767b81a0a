using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.N5;

public class N5ResolutionTests
{
    [Fact]
    public void ADownsampledDatasetOpenedAloneHasPixelResolutionTimesItsFactors()
    {
        // As bigstream writes a lowres level: pixelResolution is the full-resolution voxel.
        using var tmp = new TempFolder();
        var dir = tmp["fix.n5/lowres"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(tmp["fix.n5/attributes.json"], """{"n5": "2.0.0"}""");
        File.WriteAllText(Path.Combine(dir, "attributes.json"), """
            {"dimensions": [8, 6, 4], "blockSize": [8, 6, 4], "dataType": "uint16", "compression": {"type": "raw"},
             "pixelResolution": {"unit": "um", "dimensions": [0.23, 0.23, 0.42]}, "downsamplingFactors": [4, 4, 2]}
            """);
        using var v = VolumeFormats.Open(dir);
        Assert.Equal(0.92, v.VoxelSize.X, 6);
        Assert.Equal(0.92, v.VoxelSize.Y, 6);
        Assert.Equal(0.84, v.VoxelSize.Z, 6);
        Assert.Equal("micrometer", v.VoxelSize.Unit);
    }

    [Fact]
    public void PyramidLevelsWeWriteFollowTheSameRule()
    {
        using var tmp = new TempFolder();
        var path = tmp["p.n5"];
        using (VolumeFormats.Create("n5", path, new VolumeCreateOptions
        {
            DataType = DataType.UInt8, Shape = [4, 32, 32], ChunkShape = [4, 16, 16],
            VoxelSize = new VoxelSize(4, 4, 40, "nanometer"), ExtraMags = [new Mag(2, 2, 1)],
        })) { }
        using var pyramid = VolumeFormats.Open(path);
        Assert.Equal(4, pyramid.VoxelSize.X, 6);
        var levelDir = Directory.GetDirectories(path).Order().Last();
        using var level = VolumeFormats.Open(levelDir);
        Assert.Equal(8, level.VoxelSize.X, 6);
        Assert.Equal(40, level.VoxelSize.Z, 6);
    }
}
