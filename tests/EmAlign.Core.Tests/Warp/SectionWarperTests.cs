using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Warp;

namespace EmAlign.Tests.Warp;

/// <summary>Spec §7.5 (SOFIMA warp_test.py) and the renderer's contracts: exactness, shifts, seamless tiles.</summary>
public class SectionWarperTests
{
    private static readonly WarpInterpolation[] All =
        [WarpInterpolation.Nearest, WarpInterpolation.Linear, WarpInterpolation.Cubic, WarpInterpolation.Lanczos3, WarpInterpolation.Lanczos4];

    public static TheoryData<WarpInterpolation> Kernels()
    {
        var data = new TheoryData<WarpInterpolation>();
        foreach (var k in All) data.Add(k);
        return data;
    }

    private static float[] RandomImage(int w, int h, int seed)
    {
        var random = new Random(seed);
        var image = new float[w * h];
        for (int k = 0; k < image.Length; k++) image[k] = (float)(random.NextDouble() * 200);
        return image;
    }

    private static CoordinateMap Constant(Box3 box, double stride, float dx, float dy)
    {
        var map = CoordinateMap.Filled(box, stride, stride, 0);
        map.Dx(0).Fill(dx);
        map.Dy(0).Fill(dy);
        return map;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void IdentityMapReproducesTheImageExactly(WarpInterpolation interpolation)
    {
        const int w = 97, h = 83;
        var image = RandomImage(w, h, 1);
        var source = new SectionImage<float>(image, Box3.FromSize(w, h, 1));
        var map = new CoordinateMap(Box3.FromSize(4, 4, 1), 40, 40);
        Assert.Equal(image, SectionWarper.WarpTile(source, map, 0, Box3.FromSize(w, h, 1), interpolation));

        var bytes = image.Select(v => (byte)v).ToArray();
        Assert.Equal(bytes, SectionWarper.WarpTile(new SectionImage<byte>(bytes, Box3.FromSize(w, h, 1)), map, 0, Box3.FromSize(w, h, 1), interpolation));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void IntegerShiftMovesTheImageExactly(WarpInterpolation interpolation)
    {
        const int w = 64, h = 50, sx = 7, sy = -3;
        var image = RandomImage(w, h, 2);
        var source = new SectionImage<float>(image, Box3.FromSize(w, h, 1));
        var map = Constant(new Box3(-1, -1, 0, 5, 5, 1), 20, sx, sy);
        var output = SectionWarper.WarpTile(source, map, 0, new Box3(-5, 2, 0, 70, 40, 1), interpolation);
        for (int r = 0; r < 40; r++)
            for (int c = 0; c < 70; c++)
            {
                int x = -5 + c + sx, y = 2 + r + sy;
                float expected = x >= 0 && x < w && y >= 0 && y < h ? image[y * w + x] : 0;
                Assert.Equal(expected, output[r * 70 + c]);
            }
    }

    [Fact]
    public void HalfPixelShiftAveragesNeighboursWithLinear()
    {
        const int w = 20, h = 10;
        var image = RandomImage(w, h, 3);
        var map = Constant(Box3.FromSize(3, 3, 1), 10, 0.5f, 0);
        var output = SectionWarper.WarpTile(new SectionImage<float>(image, Box3.FromSize(w, h, 1)), map, 0, Box3.FromSize(w - 1, h, 1), WarpInterpolation.Linear);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w - 1; x++)
                Assert.Equal((image[y * w + x] + image[y * w + x + 1]) / 2, output[y * (w - 1) + x], 1e-4);
    }

    [Theory]
    [InlineData(WarpInterpolation.Cubic)]
    [InlineData(WarpInterpolation.Lanczos3)]
    [InlineData(WarpInterpolation.Lanczos4)]
    public void FractionalShiftPreservesSmoothSignalsAndConstants(WarpInterpolation interpolation)
    {
        const int w = 80, h = 60;
        var image = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) image[y * w + x] = (float)(100 + 50 * Math.Sin(x / 6.0) * Math.Cos(y / 7.0));
        var map = Constant(Box3.FromSize(4, 4, 1), 40, 0.3f, -0.6f);
        var output = SectionWarper.WarpTile(new SectionImage<float>(image, Box3.FromSize(w, h, 1)), map, 0, new Box3(10, 10, 0, 60, 40, 1), interpolation);
        for (int r = 0; r < 40; r++)
            for (int c = 0; c < 60; c++)
            {
                double x = 10 + c + 0.3, y = 10 + r - 0.6;
                // Neither kernel is exact on sinusoids (OpenCV errs by up to 0.46 here); a wrong shift would err by ~10.
                Assert.Equal(100 + 50 * Math.Sin(x / 6.0) * Math.Cos(y / 7.0), output[r * 60 + c], 0.4);
            }
        var flat = Enumerable.Repeat(77f, w * h).ToArray();
        var flatOut = SectionWarper.WarpTile(new SectionImage<float>(flat, Box3.FromSize(w, h, 1)), map, 0, new Box3(10, 10, 0, 60, 40, 1), interpolation);
        Assert.All(flatOut, v => Assert.Equal(77f, v, 1e-3f));
    }

    [Fact]
    public void LanczosWeightsMatchTheWindowedSinc()
    {
        // One bright pixel: the output at sub-pixel offset t is the normalised Lanczos-4 weight product.
        const int w = 32;
        var image = new float[w * w];
        image[16 * w + 16] = 1;
        var map = Constant(Box3.FromSize(2, 2, 1), 40, 0.25f, 0.625f);
        var output = SectionWarper.WarpTile(new SectionImage<float>(image, Box3.FromSize(w, w, 1)), map, 0, Box3.FromSize(w, w, 1), WarpInterpolation.Lanczos4);
        static double L(double x) => x == 0 ? 1 : Math.Abs(x) >= 4 ? 0 : 4 * Math.Sin(Math.PI * x) * Math.Sin(Math.PI * x / 4) / (Math.PI * Math.PI * x * x);
        static double Weight(double t, int tap) => L(tap - t) / Enumerable.Range(-3, 8).Sum(o => L(o - t));
        // Output (16 + a, 16 + b) samples 16 + a + 0.25: the pixel at 16 is tap −a of floor.
        for (int b = -4; b <= 3; b++)
            for (int a = -4; a <= 3; a++)
            {
                double expected = Weight(0.25, -a) * Weight(0.625, -b);
                Assert.Equal(expected, output[(16 + b) * w + 16 + a], 1e-6);
            }
    }

    [Theory]
    [InlineData(WarpInterpolation.Nearest)]
    [InlineData(WarpInterpolation.Linear)]
    [InlineData(WarpInterpolation.Cubic)]
    [InlineData(WarpInterpolation.Lanczos4)]
    public void TilesJoinWithoutSeams(WarpInterpolation interpolation)
    {
        const int w = 230, h = 190;
        var bytes = RandomImage(w, h, 4).Select(v => (byte)v).ToArray();
        var section = Box3.FromSize(w, h, 1);
        // A rotation by 0.1 rad about (100, 90) plus a wave, as an inverse map on a 40 px grid.
        var map = new CoordinateMap(new Box3(-1, -1, 0, 9, 8, 1), 40, 40);
        for (int i = 0; i < map.Height; i++)
            for (int j = 0; j < map.Width; j++)
            {
                double x = map.NodeX(j) - 100, y = map.NodeY(i) - 90;
                map.Dx(0)[i * map.Width + j] = (float)(Math.Cos(0.1) * x - Math.Sin(0.1) * y - x + 3 * Math.Sin(i / 2.0));
                map.Dy(0)[i * map.Width + j] = (float)(Math.Sin(0.1) * x + Math.Cos(0.1) * y - y + 2.5);
            }
        var outBox = new Box3(5, -3, 0, 210, 180, 1);
        var whole = SectionWarper.WarpTile(new SectionImage<byte>(bytes, section), map, 0, outBox, interpolation);
        Assert.True(whole.Count(v => v != 0) > whole.Length / 2);

        var tiled = new byte[whole.Length];
        foreach (var (tx, tw) in new[] { (0, 37), (37, 64), (101, 109) })
            foreach (var (ty, th) in new[] { (0, 53), (53, 1), (54, 126) })
            {
                var tile = new Box3(outBox.X + tx, outBox.Y + ty, 0, tw, th, 1);
                var need = SectionWarper.RequiredSourceBox(map, 0, tile, interpolation).Intersect(section);
                // Read only the needed pixels, as a chunked renderer would.
                var pixels = new byte[need.SizeX * need.SizeY];
                for (long y = 0; y < need.SizeY; y++)
                    Array.Copy(bytes, (need.Y + y) * w + need.X, pixels, y * need.SizeX, need.SizeX);
                var part = SectionWarper.WarpTile(new SectionImage<byte>(pixels, need), map, 0, tile, interpolation);
                for (int r = 0; r < th; r++)
                    Array.Copy(part, r * tw, tiled, (ty + r) * outBox.SizeX + tx, tw);
            }
        Assert.Equal(whole, tiled);
    }

    [Theory]
    [InlineData(WarpInterpolation.Nearest, 0, 1)]
    [InlineData(WarpInterpolation.Linear, 0, 1)]
    [InlineData(WarpInterpolation.Cubic, 1, 2)]
    [InlineData(WarpInterpolation.Lanczos3, 2, 3)]
    [InlineData(WarpInterpolation.Lanczos4, 3, 4)]
    public void RequiredSourceBoxIsTheShiftedOutputGrownByTheKernel(WarpInterpolation interpolation, int before, int after)
    {
        var map = Constant(new Box3(0, 0, 0, 6, 6, 1), 40, 7, -3);
        var outBox = new Box3(10, 20, 4, 30, 40, 1);
        var need = SectionWarper.RequiredSourceBox(map, 0, outBox, interpolation);
        // Sample positions span x 17..46 and y 17..56; one more pixel of rounding margin on each side.
        Assert.Equal(new Box3(17 - before - 1, 17 - before - 1, 4, 30 + before + after + 2, 40 + before + after + 2, 1), need);
    }

    [Fact]
    public void UnknownNodesAndEmptySectionsRenderZero()
    {
        var image = Enumerable.Repeat(9f, 100 * 100).ToArray();
        var source = new SectionImage<float>(image, Box3.FromSize(100, 100, 1));
        var map = new CoordinateMap(Box3.FromSize(11, 11, 2), 10, 10);
        map.Dx(0)[5 * 11 + 5] = float.NaN;
        map.Dy(0)[5 * 11 + 5] = float.NaN;
        Array.Fill(map.Data, float.NaN, map.Offset(0, 1), map.PlaneLength);
        Array.Fill(map.Data, float.NaN, map.Offset(1, 1), map.PlaneLength);
        var output = SectionWarper.WarpTile(source, map, 0, Box3.FromSize(100, 100, 1), WarpInterpolation.Linear);
        Assert.Equal(0f, output[50 * 100 + 50]);
        Assert.Equal(0f, output[45 * 100 + 55]);
        Assert.Equal(9f, output[20 * 100 + 20]);
        Assert.Equal(9f, output[50 * 100 + 60]); // exactly on the next node: the unknown node has weight 0
        Assert.All(SectionWarper.WarpTile(source, map, 1, Box3.FromSize(100, 100, 1)), v => Assert.Equal(0f, v));
        Assert.Equal(0, SectionWarper.RequiredSourceBox(map, 1, Box3.FromSize(100, 100, 1), WarpInterpolation.Linear).SizeX);
    }

    [Fact]
    public void SegmentationTranslationKeepsIdsExactly()
    {
        // warp_test: sections shifted by (10, 0) and (0, 17), stride 10, output box at (10, 20).
        const int w = 120, h = 110;
        var labels0 = new ulong[w * h];
        var labels1 = new ulong[w * h];
        labels0[40 * w + 30] = 42;
        labels1[50 * w + 40] = 1UL << 40;
        var map = new CoordinateMap(Box3.FromSize(13, 12, 2), 10, 10);
        map.Dx(0).Fill(10);
        map.Dy(1).Fill(17);
        var outBox = new Box3(10, 20, 0, 90, 80, 1);
        var out0 = SectionWarper.WarpTile(new SectionImage<ulong>(labels0, Box3.FromSize(w, h, 1)), map, 0, outBox, WarpInterpolation.Nearest);
        var out1 = SectionWarper.WarpTile(new SectionImage<ulong>(labels1, Box3.FromSize(w, h, 1)), map, 1, outBox, WarpInterpolation.Nearest);
        Assert.Equal(42UL, out0[20 * 90 + 10]);
        Assert.Equal(1UL << 40, out1[13 * 90 + 30]);
        Assert.Equal(1, out0.Count(v => v != 0));
        Assert.Equal(1, out1.Count(v => v != 0));
        Assert.Throws<EmAlignException>(() => SectionWarper.WarpTile(new SectionImage<ulong>(labels0, Box3.FromSize(w, h, 1)), map, 0, outBox, WarpInterpolation.Linear));
    }

    [Fact]
    public void AnisotropicStrideTranslation()
    {
        // ndimage_warp 2D: constant map (10, 17), stride x 5, y 4 → output (y, x) reads source (y + 17, x + 10).
        var labels = new ulong[100 * 100];
        labels[40 * 100 + 30] = 42;
        labels[50 * 100 + 40] = 1UL << 40;
        var map = new CoordinateMap(Box3.FromSize(21, 26, 1), 5, 4);
        map.Dx(0).Fill(10);
        map.Dy(0).Fill(17);
        var output = SectionWarper.WarpTile(new SectionImage<ulong>(labels, Box3.FromSize(100, 100, 1)), map, 0, Box3.FromSize(100, 100, 1), WarpInterpolation.Nearest);
        Assert.Equal(42UL, output[23 * 100 + 20]);
        Assert.Equal(1UL << 40, output[33 * 100 + 30]);
    }

    [Fact]
    public void RotationTurnsDiamondIntoSquare()
    {
        // warp_test: a 45° rotation map about the image centre turns a diamond into an axis-aligned square.
        const int n = 100;
        const double c = 49.5, radius = 17.5 * 1.4142135623730951;
        var image = new byte[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                if (Math.Abs(x - c) + Math.Abs(y - c) <= radius) image[y * n + x] = 255;
        var map = new CoordinateMap(Box3.FromSize(10, 10, 1), 11, 11);
        double angle = Math.PI / 4;
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++)
            {
                double x = map.NodeX(j) - c, y = map.NodeY(i) - c;
                map.Dx(0)[i * 10 + j] = (float)(Math.Cos(angle) * x - Math.Sin(angle) * y - x);
                map.Dy(0)[i * 10 + j] = (float)(Math.Sin(angle) * x + Math.Cos(angle) * y - y);
            }
        var output = SectionWarper.WarpTile(new SectionImage<byte>(image, Box3.FromSize(n, n, 1)), map, 0, Box3.FromSize(n, n, 1), WarpInterpolation.Lanczos4);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                bool inside = x is >= 33 and < 67 && y is >= 33 and < 67;
                bool border = x is 32 or 33 or 66 or 67 || y is 32 or 33 or 66 or 67;
                if (border) continue; // the square's edge falls between these pixels
                if (inside) Assert.True(output[y * n + x] > 128, $"({y},{x}) = {output[y * n + x]}");
                else Assert.True(output[y * n + x] < 64, $"({y},{x}) = {output[y * n + x]}");
            }
    }

    [Fact]
    public void PointsFollowTheForwardMap()
    {
        var map = new CoordinateMap(new Box3(10, 20, 0, 10, 10, 2), 10, 10);
        map.Dx(0).Fill(10);
        map.Dy(1).Fill(20);
        var moved = PointWarper.Warp(map, [new SectionPoint(101, 201, 0), new SectionPoint(105, 205, 1)]);
        Assert.Equal(new SectionPoint(111, 201, 0), moved[0]);
        Assert.Equal(new SectionPoint(105, 225, 1), moved[1]);
        Assert.Throws<EmAlignException>(() => PointWarper.Warp(map, [new SectionPoint(0, 0, 5)]));
    }
}
