using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>The real ssTEM stack: 20 big-endian ImageJ TIFFs of 1024 x 1024 uint8.</summary>
public class SsTemTiffTests
{
    [SsTemFact]
    public void RawFolderOpensAsAStackOfSlices()
    {
        using var v = VolumeFormats.Open(SharedData.SsTemRaw);
        Assert.Equal("tiff-folder", v.Format);
        Assert.Equal(DataType.UInt8, v.DataType);
        Assert.Equal(Box3.FromSize(1024, 1024, 20), v.Bounds);
        // These files carry no calibration (ImageJ=1.47b, no unit, no resolution): a voxel size must come from the user.
        Assert.Equal(VoxelSize.Unknown, v.VoxelSize);

        var stack = v.Read<byte>(0, v.Bounds);
        Assert.True(stack.Distinct().Count() > 64, "EM data spans many grey levels");
        var files = Directory.GetFiles(SharedData.SsTemRaw, "*.tif").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(20, files.Length);
        foreach (int z in new[] { 0, 7, 19 })
        {
            using var one = VolumeFormats.Open(files[z]);
            Assert.Equal("tiff", one.Format);
            Assert.Equal(stack.AsSpan(z << 20, 1 << 20).ToArray(), one.Read<byte>(0, one.Bounds));
        }
    }

    [TifffileFact(NeedsSsTem = true)]
    public void RawFolderMatchesTifffile()
    {
        using var v = VolumeFormats.Open(SharedData.SsTemRaw);
        var bytes = new byte[v.BlockBytes(v.Bounds)];
        v.Read(0, v.Bounds, bytes);
        var (code, output) = Tifffile.Run("""
            import sys, glob, os, hashlib, numpy, tifffile
            a = numpy.stack([tifffile.imread(f) for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.tif')))])
            print(hashlib.sha256(numpy.ascontiguousarray(a).tobytes()).hexdigest())
            """, SharedData.SsTemRaw);
        Assert.True(code == 0, output);
        Assert.Equal(output, TiffTestData.Sha256(bytes));
    }
}
