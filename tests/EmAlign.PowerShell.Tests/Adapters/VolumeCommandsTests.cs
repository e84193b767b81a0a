using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.FrontEnds;
using EmAlign.Geometry;
using EmAlign.Tests.Volumes;
using EmAlign.Volumes;

namespace EmAlign.PowerShell.Tests.Adapters;

/// <summary>The cmdlets' decisions, run over a real (test) format in a temporary folder.</summary>
public sealed class VolumeCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-ps-").FullName;

    public VolumeCommandsTests() => FolderTestFormat.Register();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(_dir, name);

    /// <summary>New-EmVolume's path: a 2-level volume with a bright block in the middle of dark sections.</summary>
    private string MakeVolume(string name = "vol")
    {
        var options = VolumeCommands.CreateOptions(DataType.UInt8, [40, 30, 6], [16, 16, 2], "none", null, [4, 4, 40], "nanometer", false)
            with { ExtraMags = [new Mag(2, 2, 1)] };
        using var v = VolumeFormats.Create(FolderTestFormat.FormatName, PathOf(name), options);
        var data = new byte[40 * 30 * 6];
        for (int z = 1; z < 5; z++)
            for (int y = 10; y < 20; y++)
                for (int x = 12; x < 30; x++) data[(z * 30 + y) * 40 + x] = (byte)(150 + (x * 7 + y * 3) % 50);
        v.Write<byte>(0, v.Bounds, data);
        return PathOf(name);
    }

    [Fact]
    public void RefiningReopensTheRegionTheFlowsWereMeasuredOn()
    {
        // Invoke-MeshRelaxation -RefinePasses: level 1 (mag 2-2-1), a box starting on the 8 px node grid.
        var region = new Alignment.StackRegion(MakeVolume(), 1, new Mag(2, 2, 1), new Box3(8, 0, 1, 12, 15, 4), 8);
        var view = AlignmentCommands.OpenSourceView(region);
        using var volume = view.Volume;
        Assert.Equal(region, Alignment.StackRegion.For(view, 8));
        var missing = Assert.Throws<VolumeNotFoundException>(() => AlignmentCommands.OpenSourceView(region with { SourcePath = PathOf("gone") }));
        Assert.Contains("gone", missing.Message);
    }

    [Fact]
    public void CreateOptionsTurnUsersXyzIntoCOrder()
    {
        var o = VolumeCommands.CreateOptions(DataType.UInt16, [100, 80, 7], [32, 16, 4], "zlib", 5, [4, 5, 40], "nanometer", true);
        Assert.Equal([7L, 80L, 100L], o.Shape);
        Assert.Equal([4, 16, 32], o.ChunkShape!);
        Assert.Equal(new VoxelSize(4, 5, 40, "nanometer"), o.VoxelSize);
        Assert.Equal(("zlib", 5, true), (o.Codec, o.Level, o.Force));
        Assert.Equal("uint16, 100 x 80 x 7 voxels", VolumeCommands.Describe(o));
        Assert.Equal(new VoxelSize(8, 8, 8, "um"), VolumeCommands.CreateOptions(DataType.UInt8, [1, 1, 1], null, "none", null, [8], "um", false).VoxelSize);
        Assert.Equal(VoxelSize.Unknown, VolumeCommands.CreateOptions(DataType.UInt8, [1, 1, 1], null, "none", null, null, "nanometer", false).VoxelSize);
    }

    [Theory]
    [InlineData("Size", new long[] { 10, 0, 3 }, null, null)]
    [InlineData("Size", new long[] { 10, 3 }, null, null)]
    [InlineData("ChunkSize", new long[] { 10, 10, 3 }, new[] { 4, -1, 4 }, null)]
    [InlineData("VoxelSize", new long[] { 10, 10, 3 }, null, new[] { 4.0, 4.0 })]
    [InlineData("VoxelSize", new long[] { 10, 10, 3 }, null, new[] { 4.0, 0, 40 })]
    public void BadSizesNameTheParameter(string parameter, long[] size, int[]? chunks, double[]? voxel)
    {
        var ex = Assert.Throws<EmAlignException>(() => VolumeCommands.CreateOptions(DataType.UInt8, size, chunks, "none", null, voxel, "nanometer", false));
        Assert.Equal(parameter, ex.Target);
        Assert.Contains("-" + parameter, ex.Message);
    }

    [Fact]
    public void OpenChoosesTheLevelByIndexOrMag()
    {
        var path = MakeVolume();
        var byMag = VolumeCommands.Open(path, null, "2-2-1", null);
        Assert.Equal((1, 20L, 15L, 6L), (byMag.Level, byMag.SizeX, byMag.SizeY, byMag.SizeZ));
        Assert.Equal(1, VolumeCommands.Open(path, 1, null, null).Level);
        Assert.Equal(0, VolumeCommands.Open(path, null, null, null).Level);
        Assert.Equal("Mag", Assert.Throws<EmAlignException>(() => VolumeCommands.Open(path, null, "two", null)).Target);
        Assert.Equal("mag", Assert.Throws<EmAlignException>(() => VolumeCommands.Open(path, null, "4", null)).Target);
        Assert.Throws<VolumeNotFoundException>(() => VolumeCommands.Open(PathOf("nothing-here"), null, null, null));
    }

    [Fact]
    public void CheckWritableRefusesExistingOutputsWithoutForce()
    {
        var path = MakeVolume();
        Assert.Equal(path, Assert.Throws<OutputExistsException>(() => VolumeCommands.CheckWritable(path, false)).Target);
        VolumeCommands.CheckWritable(path, true);
        VolumeCommands.CheckWritable(PathOf("new"), false);
    }

    [Fact]
    public void BoundingBoxOptionsCheckTheLevelAgainstTheVolume()
    {
        var view = VolumeCommands.Open(MakeVolume(), null, null, null);
        Assert.Null(VolumeCommands.BoundingBoxOptions(view, null, 2, 2).Level);
        var o = VolumeCommands.BoundingBoxOptions(view, 1, 3.5, 4);
        Assert.Equal((1, 3.5, 4), (o.Level!.Value, o.Sigma, o.DilationIterations));
        Assert.Equal("level", Assert.Throws<EmAlignException>(() => VolumeCommands.BoundingBoxOptions(view, 2, 2, 2)).Target);
    }

    [Fact]
    public void AnEmptyDataBoxIsReportedAsNoData()
    {
        var view = VolumeCommands.Open(MakeVolume(), null, null, null);
        var ex = Assert.Throws<NoDataFoundException>(() => VolumeCommands.WithDataBox(view, new DataBoundingBoxResult(default, 0, Mag.One, double.NaN)));
        Assert.Equal(view.Path, ex.Target);
        var box = new Box3(1, 2, 3, 4, 5, 1);
        Assert.Equal(box, VolumeCommands.WithDataBox(view, new DataBoundingBoxResult(box, 0, Mag.One, 10)).Box);
    }

    /// <summary>The pipeline Get-EmVolume | Find-DataBoundingBox | Export-EmVolume, through the cmdlets' engine calls.</summary>
    [Fact]
    public void GetFindExportPipelineCopiesTheDataRegion()
    {
        var view = VolumeCommands.Open(MakeVolume(), null, null, null);
        var found = DataBoundingBoxFinder.Find(view.Volume, VolumeCommands.BoundingBoxOptions(view, 0, 1, 0));
        var cropped = VolumeCommands.WithDataBox(view, found);
        Assert.Equal(new Box3(12, 10, 1, 18, 10, 4), cropped.Box);

        var options = VolumeCommands.CopyOptions(cropped, FolderTestFormat.FormatName, "none", null, [8, 8, 2], force: false);
        Assert.Equal([2, 8, 8], options.ChunkShape!);
        Assert.Equal((cropped.Box, 0), (options.Box, options.Level));
        var result = VolumeCopier.Copy(cropped.Volume, PathOf("crop"), options);

        var copy = VolumeCommands.Open(result.Path, null, null, null);
        Assert.Equal((18L, 10L, 4L), (copy.SizeX, copy.SizeY, copy.SizeZ));
        Assert.Equal(view.Volume.Read<byte>(0, cropped.Box!.Value), copy.Volume.Read<byte>(0, copy.Volume.Bounds));
        Assert.Equal(cropped.Box, result.Box);
    }
}
