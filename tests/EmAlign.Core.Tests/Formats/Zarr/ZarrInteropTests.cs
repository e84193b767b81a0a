using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>zarr-python 2 reads what we write, and we read what it writes, byte for byte.</summary>
public class ZarrInteropTests
{
    /// <summary>Prints "name sha256 dtype shape" for each array path given (sha of the C-order bytes as stored by numpy).</summary>
    private const string ReadScript = """
        import sys, hashlib, zarr
        for p in sys.argv[1:]:
            a = zarr.open(p, mode="r")
            d = a[:]
            print(p, hashlib.sha256(d.tobytes()).hexdigest(), a.dtype.str, "x".join(map(str, a.shape)))
        """;

    /// <summary>
    /// Writes a 38 x 21 x 5 pattern volume of every data type with every codec in <paramref name="codecs"/>, in
    /// <paramref name="format"/>; returns path -> sha256 of the expected content for a peer to check.
    /// </summary>
    internal static Dictionary<string, string> WriteEveryTypeAndCodec(TempFolder tmp, string format, string extension, IEnumerable<string> codecs)
    {
        long[] shape = [5, 21, 38];
        var expected = new Dictionary<string, string>();
        foreach (var t in PatternData.AllTypes)
            foreach (var codec in codecs)
            {
                var path = tmp[$"{t}-{codec}.{extension}"];
                var data = PatternData.Make(t, shape);
                using (var v = VolumeFormats.Create(format, path, ZarrWriteTests.Options(t, shape, [2, 8, 16], codec)))
                    v.Write(0, Box3.FromSize(38, 21, 5), data);
                expected[path] = FixtureManifest.Sha256(data, t.TypeString());
            }
        return expected;
    }

    [PythonZarrFact]
    public void ZarrPythonReadsEveryTypeAndCodecWeWrite()
    {
        using var tmp = new TempFolder();
        var expected = WriteEveryTypeAndCodec(tmp, "zarr2", "zarr", ChunkCodecs.Names);
        var lines = PythonZarr.Check(ReadScript, [.. expected.Keys]);
        Assert.Equal(expected.Count, lines.Length);
        foreach (var line in lines)
        {
            var f = line.Split(' ');
            Assert.True(expected[f[0]] == f[1], $"zarr-python reads {f[0]} differently");
            Assert.Equal("5x21x38", f[3]);
        }
    }

    [PythonZarrFact]
    public void ZarrPythonReadsOurPyramidsChannelsAndWritableLayouts()
    {
        using var tmp = new TempFolder();
        // A pyramid inside a container: parent groups, OME-NGFF group, scale arrays.
        var opts = ZarrWriteTests.Options(DataType.UInt16, [6, 30, 40], [4, 16, 16], "zlib") with { ExtraMags = [new Mag(2, 2, 1)] };
        var s1 = PatternData.Make(DataType.UInt16, [6, 15, 20]);
        using (var v = VolumeFormats.Create("zarr2", tmp["c.zarr/em/raw"], opts)) v.Write(1, v.Levels[1].Bounds, s1);
        // Channels.
        var ch = PatternData.Make(DataType.UInt8, [2, 3, 10, 10]);
        using (var v = VolumeFormats.Create("zarr2", tmp["ch.zarr"], ZarrWriteTests.Options(DataType.UInt8, [2, 3, 10, 10], [1, 2, 8, 8], "gzip")))
            v.Write(0, Box3.FromSize(10, 10, 3), ch);

        var script = """
            import sys, json, hashlib, zarr
            root = zarr.open_group(sys.argv[1], mode="r")
            ms = root["em/raw"].attrs["multiscales"][0]
            print("levels", ",".join(d["path"] for d in ms["datasets"]))
            print("s1", hashlib.sha256(root["em/raw/s1"][:].tobytes()).hexdigest())
            print("units", ",".join(root["em/raw/s0"].attrs["units"]))
            c = zarr.open(sys.argv[2], mode="r")
            print("ch", hashlib.sha256(c[:].tobytes()).hexdigest(), ",".join(c.attrs["axis_names"]))
            """;
        var lines = PythonZarr.Check(script, tmp["c.zarr"], tmp["ch.zarr"]);
        Assert.Equal("levels s0,s1", lines[0]);
        Assert.Equal($"s1 {FixtureManifest.Sha256(s1, "<u2")}", lines[1]);
        Assert.Equal("units nanometer,nanometer,nanometer", lines[2]);
        Assert.Equal($"ch {FixtureManifest.Sha256(ch, "|u1")} c^,z,y,x", lines[3]);
    }

    [PythonZarrFact]
    public void WeReadWhatZarrPythonWritesWithEveryCompressorWeSupport()
    {
        using var tmp = new TempFolder();
        // For each compressor id we read: C order, F order with "/" chunks, big-endian, a NaN-filled sparse float array.
        var script = """
            import sys, hashlib, numpy as np, zarr, numcodecs
            out, ids = sys.argv[1], sys.argv[2:]
            make = {"zlib": lambda: numcodecs.Zlib(level=1), "gzip": lambda: numcodecs.GZip(level=1),
                    "blosc": lambda: numcodecs.Blosc(), "zstd": lambda: numcodecs.Zstd(level=1),
                    "lz4": lambda: numcodecs.LZ4(), "bz2": lambda: numcodecs.BZ2(level=1), "lzma": lambda: numcodecs.LZMA(),
                    "none": lambda: None}
            z, y, x = np.meshgrid(np.arange(5), np.arange(19), np.arange(33), indexing="ij")
            v = (7 * x + 13 * y + 29 * z) % 65521
            for cid in ["none"] + ids:
                for dt, order, sep in [("<u2", "C", "."), ("<i8", "F", "/"), (">u4", "C", "."), ("<f4", "F", "."), ("|u1", "C", "/")]:
                    p = f"{out}/{cid}-{dt[1:]}-{'be' if dt[0] == '>' else 'le'}-{order}.zarr"
                    a = zarr.open(p, mode="w", shape=v.shape, chunks=(2, 8, 16), dtype=dt, order=order,
                                  compressor=make[cid](), dimension_separator=sep)
                    a[:] = (v % 251 if dt == "|u1" else v * 0.5 - 3 if dt == "<f4" else v).astype(dt)
                    print(p, hashlib.sha256(a[:].tobytes()).hexdigest(), dt)
                p = f"{out}/{cid}-sparse-nan.zarr"
                a = zarr.open(p, mode="w", shape=v.shape, chunks=(2, 8, 16), dtype="<f8", fill_value=np.nan, compressor=make[cid]())
                a[1:3, 5:9, 30:33] = 1.5
                print(p, hashlib.sha256(a[:].tobytes()).hexdigest(), "<f8")
            """;
        var lines = PythonZarr.Check(script, [tmp.Path, .. Numcodecs.Ids]);
        Assert.Equal((Numcodecs.Ids.Count + 1) * 6, lines.Length);
        foreach (var line in lines)
        {
            var f = line.Split(' ');
            using var v = VolumeFormats.Open(f[0]);
            Assert.Equal((33L, 19L, 5L), v.Levels[0].Size);
            Assert.True(f[1] == FixtureManifest.Sha256(ZarrFixtureTests.ReadAll(v), f[2]), $"{f[0]} reads differently from zarr-python");
        }
    }
}
