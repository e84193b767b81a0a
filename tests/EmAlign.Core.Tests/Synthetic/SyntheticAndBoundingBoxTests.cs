using EmAlign.Demo;
using EmAlign.Geometry;
using EmAlign.Numerics;
using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Tests.Synthetic;

public class SyntheticAndBoundingBoxTests
{
    [Fact]
    public void NeighbouringSectionsCorrelateAndDistantOnesLess()
    {
        var g = new SyntheticEmStack(256, 256, seed: 3);
        var s0 = g.RenderSection(0); var s1 = g.RenderSection(1); var s8 = g.RenderSection(8);
        double c01 = Pearson(s0, s1), c08 = Pearson(s0, s8);
        Assert.True(c01 > 0.6, $"neighbour correlation {c01}");
        Assert.True(c08 < c01, $"far {c08} vs near {c01}");
        Assert.InRange(s0.Min(), 0f, 255f);
        Assert.InRange(s0.Max(), 0f, 255f);
    }

    [Fact]
    public void KnownDeformationMapsAsDocumented()
    {
        var d = new KnownDeformation(101, 101, shiftX: 3, shiftY: -2, rotationDegrees: 0, elasticAmplitude: 0, correlationLength: 100, seed: 1);
        Assert.Equal((53.0, 48.0), d.Map(50, 50));
        var img = new float[101 * 101];
        img[50 * 101 + 50] = 100;
        var moved = d.Apply(img);
        // deformed(x, y) = original(x + 3, y - 2): the bright pixel appears at (47, 52).
        Assert.Equal(100f, moved[52 * 101 + 47], 3);
        var elastic = new KnownDeformation(200, 200, 0, 0, 0, elasticAmplitude: 5, correlationLength: 60, seed: 2);
        double maxD = 0;
        for (int y = 0; y < 200; y += 7) for (int x = 0; x < 200; x += 7) { var (u, v) = elastic.Map(x, y); maxD = Math.Max(maxD, Math.Sqrt((u - x) * (u - x) + (v - y) * (v - y))); }
        Assert.InRange(maxD, 2.5, 5.01);
    }

    [Fact]
    public void OtsuSplitsTwoPopulations()
    {
        var v = Enumerable.Range(0, 1000).Select(i => i < 600 ? 10f + i % 5 : 200f + i % 7).ToArray();
        Assert.InRange(Threshold.Otsu(v), 14, 200);
    }

    [Fact]
    public void LargestComponentAndDilation()
    {
        var m = new bool[10 * 10];
        m[0] = true;
        for (int y = 4; y < 8; y++) for (int x = 4; x < 9; x++) m[y * 10 + x] = true;
        var labels = BinaryMask.Label(m, 10, 10, out int n);
        Assert.Equal(2, n);
        var sizes = BinaryMask.ComponentSizes(labels, n);
        Assert.Equal(20, sizes.Skip(1).Max());
        var d = BinaryMask.Dilate(m, 10, 10, 1);
        Assert.True(d[3 * 10 + 3] && d[11] && !d[2 * 10 + 2]);
    }

    [Fact]
    public void BoundingBoxFindsTheTissueAndIgnoresABlankSection()
    {
        var demo = new DemoStack(sections: 5, tissueSize: 192, border: 48, seed: 2);
        var arr = new MemoryChunkedArray(DataType.UInt8, [6, demo.CanvasSize, demo.CanvasSize], [1, 64, 64]);
        using var vol = new EmVolume("mem", "memory", "", [new VolumeLevel(Mag.One, arr)], VoxelSize.Unknown);
        demo.WriteTo(vol);
        // Section 5 stays blank (all zero): it must not wipe out the minimum projection.
        var r = DataBoundingBoxFinder.Find(vol, new BoundingBoxOptions { Sigma = 1, DilationIterations = 1 });
        Assert.InRange(r.Box.X, 30, 56);
        Assert.InRange(r.Box.Y, 30, 56);
        Assert.InRange(r.Box.EndX, 192 + 40, 192 + 66);
        Assert.InRange(r.Box.EndY, 192 + 40, 192 + 66);
        Assert.Equal(0, r.Box.Z);
        Assert.Equal(5, r.Box.SizeZ);
    }

    [Fact]
    public void BoundingBoxOnACoarseLevelIsScaledToMagOne()
    {
        var arr0 = new MemoryChunkedArray(DataType.UInt8, [2, 64, 64], [1, 32, 32]);
        var arr1 = new MemoryChunkedArray(DataType.UInt8, [2, 32, 32], [1, 32, 32]);
        using var vol = new EmVolume("mem", "memory", "", [new VolumeLevel(Mag.One, arr0), new VolumeLevel(new Mag(2, 2, 1), arr1)], VoxelSize.Unknown);
        var block = new byte[2 * 32 * 32];
        for (int z = 0; z < 2; z++) for (int y = 8; y < 20; y++) for (int x = 10; x < 24; x++) block[(z * 32 + y) * 32 + x] = (byte)(100 + (x * y + z) % 50);
        vol.Write<byte>(1, Box3.FromSize(32, 32, 2), block);
        var r = DataBoundingBoxFinder.Find(vol, new BoundingBoxOptions { Level = 1, Sigma = 0.5, DilationIterations = 0 });
        Assert.Equal(new Mag(2, 2, 1), r.Mag);
        Assert.InRange(r.Box.X, 18, 22);
        Assert.InRange(r.Box.EndX, 46, 50);
        Assert.InRange(r.Box.Y, 14, 18);
    }

    [Fact]
    public void AStackWithoutPaddingIsDataEverywhereInPlane()
    {
        var g = new SyntheticEmStack(128, 96, seed: 4);
        var arr = new MemoryChunkedArray(DataType.UInt8, [3, 96, 128], [1, 32, 32]);
        using var vol = new EmVolume("mem", "memory", "", [new VolumeLevel(Mag.One, arr)], VoxelSize.Unknown);
        for (int z = 0; z < 3; z++)
            vol.Write<byte>(0, new Box3(0, 0, z, 128, 96, 1), g.RenderSection(z).Select(v => (byte)Math.Clamp(v, 1, 255)).ToArray());
        var r = DataBoundingBoxFinder.Find(vol, new BoundingBoxOptions());
        Assert.Equal(new Box3(0, 0, 0, 128, 96, 3), r.Box);
    }

    private static double Pearson(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { double x = a[i] - ma, y = b[i] - mb; sab += x * y; saa += x * x; sbb += y * y; }
        return sab / Math.Sqrt(saa * sbb);
    }
}
