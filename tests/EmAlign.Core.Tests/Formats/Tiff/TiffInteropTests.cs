using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Formats.Tiff;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>tifffile (the Python peer) reads what we write, with the same bytes and calibration, and we read what it writes.</summary>
public sealed class TiffInteropTests : IDisposable
{
    private readonly string _dir = TiffTestData.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Reads one file (or the sorted .tif files of a folder) with tifffile; prints shape, dtype, sha256 and ImageJ metadata as JSON.</summary>
    private const string ReadScript = """
        import sys, json, glob, os, hashlib, numpy, tifffile
        p = sys.argv[1]
        if os.path.isdir(p):
            files = sorted(glob.glob(os.path.join(p, '*.tif')))
            a = numpy.stack([tifffile.imread(f) for f in files])
            t = tifffile.TiffFile(files[0])
        else:
            a = tifffile.imread(p)
            t = tifffile.TiffFile(p)
        a = numpy.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))
        ij = t.imagej_metadata or {}
        xr = t.pages[0].tags['XResolution'].value
        print(json.dumps({'shape': list(a.shape), 'dtype': a.dtype.name, 'sha': hashlib.sha256(a.tobytes()).hexdigest(),
                          'imagej': t.is_imagej, 'bigtiff': t.is_bigtiff, 'unit': ij.get('unit'), 'spacing': ij.get('spacing'),
                          'xres': xr[0] / xr[1], 'axes': t.series[0].axes}))
        """;

    private static JsonElement ReadWithTifffile(string path)
    {
        var (code, output) = Tifffile.Run(ReadScript, path);
        Assert.True(code == 0, output);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [TifffileFact]
    public void TifffileReadsOurStacksAndSlicesIdentically()
    {
        var vs = new VoxelSize(0.0046, 0.0046, 0.045, "micrometer");
        foreach (var format in new[] { "tiff", "tiff-folder" })
            foreach (var type in new[] { DataType.UInt8, DataType.Int8, DataType.UInt16, DataType.Int16, DataType.UInt32, DataType.Int32, DataType.Float32, DataType.Float64 })
            {
                string path = Path.Combine(_dir, $"{format}-{type}" + (format == "tiff" ? ".tif" : ""));
                var data = TiffTestData.Pattern(type, 6L * 17 * 29, seed: (int)type);
                using (var v = VolumeFormats.Create(format, path, new VolumeCreateOptions { DataType = type, Shape = [6, 17, 29], VoxelSize = vs }))
                    v.Write(0, v.Bounds, data);

                var peer = ReadWithTifffile(path);
                string what = $"{format} {type}";
                Assert.True(TiffTestData.Sha256(data) == peer.GetProperty("sha").GetString(), what);
                Assert.Equal(type.Name(), peer.GetProperty("dtype").GetString());
                Assert.Equal([6, 17, 29], peer.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
                Assert.True(peer.GetProperty("imagej").GetBoolean(), what);
                Assert.Equal("um", peer.GetProperty("unit").GetString());
                Assert.Equal(0.045, peer.GetProperty("spacing").GetDouble(), 12);
                Assert.Equal(1 / 0.0046, peer.GetProperty("xres").GetDouble(), 6);
                if (format == "tiff") Assert.Equal("ZYX", peer.GetProperty("axes").GetString());
            }
    }

    [TifffileFact]
    public void TifffileReadsOurBigTiff()
    {
        string path = Path.Combine(_dir, "big.tif");
        var layout = new TiffStackLayout(31, 5, 3, DataType.Float32, new VoxelSize(4, 4, 40, "nanometer"), forceBigTiff: true);
        var data = TiffTestData.Pattern(DataType.Float32, 3 * 5 * 31);
        using (var w = TiffStackWriter.Create(path, layout, DataType.Float32, 0, force: false))
            for (int z = 0; z < 3; z++) w.WriteChunk([z, 0, 0], data.AsSpan(z * 620, 620));
        var peer = ReadWithTifffile(path);
        Assert.True(peer.GetProperty("bigtiff").GetBoolean());
        Assert.Equal(TiffTestData.Sha256(data), peer.GetProperty("sha").GetString());
        Assert.Equal("nm", peer.GetProperty("unit").GetString());
    }

    [TifffileFact]
    public void TifffileReadsOurSingleIfdImageJStackAsAllPlanes()
    {
        string path = Path.Combine(_dir, "one-ifd.tif");
        var data = TiffTestData.Pattern(DataType.UInt16, 5L * 8 * 8);
        using (var v = VolumeFormats.Create("tiff", path, new VolumeCreateOptions { DataType = DataType.UInt16, Shape = [5, 8, 8] }))
            v.Write(0, v.Bounds, data);
        TiffTestData.CutChainAfterFirstIfd(path);
        var peer = ReadWithTifffile(path);
        Assert.Equal([5, 8, 8], peer.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(TiffTestData.Sha256(data), peer.GetProperty("sha").GetString());
    }

    [TifffileFact]
    public void ShapedTifffileDescriptionGivesVoxelSize()
    {
        string path = Path.Combine(_dir, "shaped.tif");
        var (code, output) = Tifffile.Run("""
            import sys, numpy, tifffile
            a = (numpy.arange(3 * 4 * 5) * 3).astype('>u2').reshape(3, 4, 5)
            tifffile.imwrite(sys.argv[1], a, photometric='minisblack', resolution=(200, 250), metadata={'spacing': 0.03, 'unit': 'um'})
            """, path);
        Assert.True(code == 0, output);
        using var v = VolumeFormats.Open(path);
        Assert.Equal(new VoxelSize(1 / 200.0, 1 / 250.0, 0.03, "micrometer"), v.VoxelSize);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (ushort)(i * 3)), v.Read<ushort>(0, v.Bounds));
    }

    [TifffileFact]
    public void TifffileImageJFilesAreCalibrated()
    {
        string path = Path.Combine(_dir, "ij-micron.tif");
        var (code, output) = Tifffile.Run("""
            import sys, numpy, tifffile
            a = numpy.arange(2 * 6 * 7, dtype='float32').reshape(2, 6, 7)
            tifffile.imwrite(sys.argv[1], a, imagej=True, resolution=(1 / 0.0046, 1 / 0.0046), metadata={'spacing': 0.05, 'unit': 'micron', 'axes': 'ZYX'})
            """, path);
        Assert.True(code == 0, output);
        using var v = VolumeFormats.Open(path);
        Assert.Equal("micrometer", v.VoxelSize.Unit);
        Assert.Equal(0.0046, v.VoxelSize.X, 6);
        Assert.Equal(0.05, v.VoxelSize.Z, 12);
        Assert.Equal(Enumerable.Range(0, 84).Select(i => (float)i), v.Read<float>(0, v.Bounds));
    }
}
