using EmAlign.Formats;
using EmAlign.Formats.N5;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.N5;

/// <summary>zarr-python 2's N5 store reads what we write (truncated edge blocks included), and we read what it writes.</summary>
public class N5InteropTests
{
    [PythonZarrFact]
    public void ZarrPythonReadsEveryTypeAndCodecWeWrite()
    {
        using var tmp = new TempFolder();
        var expected = ZarrInteropTests.WriteEveryTypeAndCodec(tmp, "n5", "n5", N5WriteTests.N5Codecs);
        var script = """
            import sys, hashlib, warnings, zarr
            warnings.simplefilter("ignore")
            for p in sys.argv[1:]:
                a = zarr.open(zarr.N5FSStore(p), mode="r")
                print(p, hashlib.sha256(a[:].tobytes()).hexdigest(), "x".join(map(str, a.shape)))
            """;
        var lines = PythonZarr.Check(script, [.. expected.Keys]);
        Assert.Equal(expected.Count, lines.Length);
        foreach (var f in lines.Select(l => l.Split(' ')))
        {
            Assert.True(expected[f[0]] == f[1], $"zarr-python reads {f[0]} differently");
            Assert.Equal("5x21x38", f[2]);
        }
    }

    [PythonZarrFact]
    public void WeReadWhatZarrPythonsN5StoreWrites()
    {
        using var tmp = new TempFolder();
        var script = """
            import sys, hashlib, warnings, numpy as np, zarr, numcodecs
            warnings.simplefilter("ignore")
            out, ids = sys.argv[1], sys.argv[2:]
            make = {"none": lambda: None, "gzip": lambda: numcodecs.GZip(level=5), "zlib": lambda: numcodecs.Zlib(level=5),
                    "blosc": lambda: numcodecs.Blosc(), "bzip2": lambda: numcodecs.BZ2(level=5), "xz": lambda: numcodecs.LZMA(),
                    "zstd": lambda: numcodecs.Zstd(level=3)}
            z, y, x = np.meshgrid(np.arange(5), np.arange(19), np.arange(33), indexing="ij")
            v = (7 * x + 13 * y + 29 * z) % 65521
            for cid in ["none", "zlib"] + ids:
                for dt in ["uint8", "int16", "uint32", "float64"]:
                    p = f"{out}/{cid}-{dt}.n5"
                    a = zarr.open(zarr.N5FSStore(p), mode="w", shape=v.shape, chunks=(2, 8, 16), dtype=dt, compressor=make[cid]())
                    a[:] = (v % 200).astype(dt)
                    print(p, hashlib.sha256(a[:].tobytes()).hexdigest(), dt)
            """;
        var types = N5Compression.Types.Where(t => t != "raw").ToArray();
        var lines = PythonZarr.Check(script, [tmp.Path, .. types]);
        Assert.Equal((types.Length + 2) * 4, lines.Length);
        foreach (var f in lines.Select(l => l.Split(' ')))
        {
            using var v = VolumeFormats.Open(f[0]);
            Assert.Equal("n5", v.Format);
            Assert.Equal(DataTypes.Parse(f[2]), v.DataType);
            Assert.True(f[1] == FixtureManifest.Sha256(ZarrFixtureTests.ReadAll(v), "<"), $"{f[0]} reads differently from zarr-python");
        }
    }
}
