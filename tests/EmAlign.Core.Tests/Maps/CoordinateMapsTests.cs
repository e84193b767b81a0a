using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Maps;

namespace EmAlign.Tests.Maps;

/// <summary>Spec §7.3 (SOFIMA map_utils_test.py) and the map type's contracts.</summary>
public class CoordinateMapsTests
{
    private static CoordinateMap FromFunction(Box3 box, double stride, Func<int, int, int, (double X, double Y)> f)
    {
        var map = new CoordinateMap(box, stride, stride);
        for (int z = 0; z < map.Sections; z++)
            for (int i = 0; i < map.Height; i++)
                for (int j = 0; j < map.Width; j++)
                {
                    var (x, y) = f(z, i, j);
                    map.Dx(z)[i * map.Width + j] = (float)x;
                    map.Dy(z)[i * map.Width + j] = (float)y;
                }
        return map;
    }

    private static void SetUnknown(CoordinateMap map, int z, int i, int j)
    {
        map.Dx(z)[i * map.Width + j] = float.NaN;
        map.Dy(z)[i * map.Width + j] = float.NaN;
    }

    /// <summary>numpy assert_almost_equal(decimal): |a − b| &lt; 1.5·10^-decimal.</summary>
    private static void Near(double expected, double actual, int decimals, string where = "")
    {
        Assert.True(Math.Abs(expected - actual) < 1.5 * Math.Pow(10, -decimals), $"{where}: expected {expected}, got {actual}");
    }

    [Fact]
    public void LayoutIsChannelSectionRowColumn()
    {
        var map = new CoordinateMap(new Box3(3, 4, 7, 5, 2, 3), 40, 20);
        Assert.Equal(2 * 3 * 2 * 5, map.Data.Length);
        map.Dy(2)[1 * 5 + 4] = 9;
        Assert.Equal(9, map.Data[(1 * 3 + 2) * 10 + 1 * 5 + 4]);
        Assert.Equal((3 + 4) * 40.0, map.NodeX(4));
        Assert.Equal((4 + 1) * 20.0, map.NodeY(1));
        var ex = Assert.Throws<EmAlignException>(() => new CoordinateMap(Box3.FromSize(5, 2, 1), 40, 40, new float[3]));
        Assert.Equal("data", ex.Target);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(240, 280, 300)]
    public void AbsoluteRelativeRoundTrip(long x, long y, long z)
    {
        var random = new Random(1);
        var map = FromFunction(new Box3(x, y, z, 50, 50, 1), 10, (_, _, _) => (random.NextDouble() - 0.5, random.NextDouble() - 0.5));
        var abs = map.ToAbsolute();
        Assert.Equal((x + 7) * 10.0 + map.Dx(0)[3 * 50 + 7], abs[3 * 50 + 7], 1e-9);
        Assert.Equal((y + 3) * 10.0 + map.Dy(0)[3 * 50 + 7], abs[2500 + 3 * 50 + 7], 1e-9);
        var back = CoordinateMap.FromAbsolute(abs, map.Box, 10, 10);
        for (int k = 0; k < map.Data.Length; k++) Assert.Equal(map.Data[k], back.Data[k], 1e-4);
    }

    [Fact]
    public void FillMissingReproducesPlanarFieldsExactly()
    {
        // Scattered unknown nodes inside the hull of a planar field: interpolation is exact for linear fields.
        var map = FromFunction(Box3.FromSize(30, 20, 2), 40, (z, i, j) => (0.3 * j - 0.2 * i + z, 1.5 + 0.1 * i + 0.05 * j));
        var expected = map.Clone();
        var random = new Random(7);
        for (int n = 0; n < 120; n++) SetUnknown(map, random.Next(2), 1 + random.Next(18), 1 + random.Next(28));
        var filled = CoordinateMaps.FillMissing(map);
        for (int k = 0; k < map.Data.Length; k++) Assert.Equal(expected.Data[k], filled.Data[k], 1e-4);
        Assert.True(map.HasInvalidNode()); // the input is not changed
    }

    [Fact]
    public void FillMissingRecoversHoleInSmoothField()
    {
        var map = FromFunction(Box3.FromSize(50, 50, 1), 40, (_, i, j) => (Math.Sin(j / 25.0), Math.Cos(i / 25.0)));
        var expected = map.Clone();
        for (int i = 24; i < 28; i++)
            for (int j = 38; j < 42; j++) SetUnknown(map, 0, i, j);
        var filled = CoordinateMaps.FillMissing(map);
        for (int k = 0; k < map.Data.Length; k++) Near(expected.Data[k], filled.Data[k], 2, $"value {k}");
    }

    [Fact]
    public void FillMissingLeavesNodesOutsideTheHullUnlessExtrapolating()
    {
        var map = FromFunction(Box3.FromSize(50, 50, 1), 40, (_, i, j) => (Math.Sin(j / 25.0), Math.Cos(i / 25.0)));
        var expected = map.Clone();
        for (int j = 0; j < 50; j++) SetUnknown(map, 0, 49, j);
        var filled = CoordinateMaps.FillMissing(map);
        for (int j = 0; j < 50; j++) Assert.True(float.IsNaN(filled.Dy(0)[49 * 50 + j]));
        var extrapolated = CoordinateMaps.FillMissing(map, extrapolate: true);
        for (int j = 0; j < 50; j++)
        {
            Near(expected.Dy(0)[49 * 50 + j], extrapolated.Dy(0)[49 * 50 + j], 1, $"column {j}");
            Assert.Equal(extrapolated.Dx(0)[48 * 50 + j], extrapolated.Dx(0)[49 * 50 + j]); // the nearest node's value
        }
    }

    [Fact]
    public void FillMissingAllUnknownBecomesIdentityOnRequest()
    {
        var map = CoordinateMap.Filled(Box3.FromSize(50, 50, 2), 40, 40, float.NaN);
        Assert.All(CoordinateMaps.FillMissing(map, invalidToZero: true).Data, v => Assert.Equal(0f, v));
        Assert.All(CoordinateMaps.FillMissing(map).Data, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void FillMissingLeavesCollinearSectionsAlone()
    {
        var map = CoordinateMap.Filled(Box3.FromSize(10, 10, 1), 40, 40, float.NaN);
        for (int j = 0; j < 10; j++)
        {
            map.Dx(0)[3 * 10 + j] = j;
            map.Dy(0)[3 * 10 + j] = 1;
        }
        var filled = CoordinateMaps.FillMissing(map);
        Assert.Equal(map.Data, filled.Data);
        var extrapolated = CoordinateMaps.FillMissing(map, extrapolate: true);
        Assert.Equal(4f, extrapolated.Dx(0)[9 * 10 + 4]);
    }

    [Fact]
    public void OuterBoxCoversAllTargets()
    {
        var map = new CoordinateMap(new Box3(100, 200, 10, 50, 50, 1), 5, 5);
        map.Dx(0)[0 * 50 + 49] = 4;
        map.Dx(0)[1 * 50 + 49] = 8;
        map.Dx(0)[2 * 50 + 0] = -3;
        map.Dy(0)[49 * 50 + 10] = 1;
        map.Dy(0)[0 * 50 + 1] = -2;
        Assert.Equal(new Box3(99, 199, 10, 53, 52, 1), CoordinateMaps.OuterBox(map, 5));
        // Pixel units: 497 ... 753 in x, 998 ... 1246 in y.
        Assert.Equal(new Box3(497, 998, 10, 753 - 497 + 1, 1246 - 998 + 1, 1), CoordinateMaps.OuterBox(map, 1));
    }

    [Fact]
    public void InnerBoxIsCoveredByTheMappedPositions()
    {
        var box = new Box3(100, 200, 10, 50, 50, 1);
        var map = CoordinateMap.Filled(box, 10, 10, 0);
        map.Dy(0).Fill(-30);
        map.Dy(0)[..50].Fill(-40);
        map.Dy(0)[(49 * 50)..].Fill(-25);
        Assert.Equal(new Box3(100, 196, 10, 50, 51, 1), CoordinateMaps.InnerBox(map));

        map = CoordinateMap.Filled(box, 10, 10, 0);
        for (int i = 0; i < 50; i++)
        {
            map.Dx(0)[i * 50] = -9;
            map.Dx(0)[i * 50 + 49] = 9;
        }
        Assert.Equal(new Box3(100, 200, 10, 50, 50, 1), CoordinateMaps.InnerBox(map));
    }

    [Fact]
    public void InvertOfSinusoidalShearIsItsNegative()
    {
        var box = new Box3(100, 200, 10, 50, 50, 1);
        var map = FromFunction(box, 40, (_, _, j) => (0, 20 * Math.Sin(j / 25.0)));
        var inverse = CoordinateMaps.Invert(map, box);
        for (int i = 1; i < 50; i++)
            for (int j = 1; j < 50; j++)
            {
                int k = i * 50 + j;
                Near(-map.Dx(0)[k], inverse.Dx(0)[k], 5, $"x ({i},{j})");
                Near(-map.Dy(0)[k], inverse.Dy(0)[k], 5, $"y ({i},{j})");
            }
        // Row 0 is not covered where the shear moves the mesh down.
        Assert.True(float.IsNaN(inverse.Dy(0)[10]));
    }

    [Fact]
    public void InvertComposesToIdentity()
    {
        // A smooth two-component deformation on a shifted grid with an unknown node. Two linear
        // interpolations (invert, compose) of a curved field leave errors of a few hundredths of a pixel.
        var box = new Box3(3, 5, 0, 40, 30, 2);
        var map = FromFunction(box, 40, (z, i, j) => (15 * Math.Sin(i / 7.0 + z) + 0.05 * j, 10 * Math.Cos(j / 9.0) - 4));
        SetUnknown(map, 1, 12, 20);
        var inverse = CoordinateMaps.Invert(map, box);
        foreach (var (first, second) in new[] { (map, inverse), (inverse, map) })
        {
            var identity = CoordinateMaps.Compose(first, second);
            int checkedNodes = 0;
            for (int z = 0; z < 2; z++)
                for (int k = 0; k < identity.PlaneLength; k++)
                {
                    float x = identity.Dx(z)[k], y = identity.Dy(z)[k];
                    if (float.IsNaN(x)) continue;
                    checkedNodes++;
                    Assert.True(Math.Abs(x) < 0.1 && Math.Abs(y) < 0.1, $"section {z} node {k}: ({x}, {y})");
                }
            Assert.True(checkedNodes > 0.7 * identity.PlaneLength * 2, $"only {checkedNodes} nodes defined");
        }
    }

    [Fact]
    public void InvertOfTranslationIsExact()
    {
        var box = Box3.FromSize(20, 20, 1);
        var map = CoordinateMap.Filled(box, 40, 40, 0);
        map.Dx(0).Fill(80); // two nodes right
        map.Dy(0).Fill(-40);
        var inverse = CoordinateMaps.Invert(map, box);
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 20; j++)
            {
                int k = i * 20 + j;
                bool covered = j >= 2 && i <= 18;
                Assert.Equal(covered ? -80f : float.NaN, inverse.Dx(0)[k]);
                Assert.Equal(covered ? 40f : float.NaN, inverse.Dy(0)[k]);
            }
    }

    [Fact]
    public void ResampleToFinerGrid()
    {
        var map = FromFunction(new Box3(100, 200, 10, 50, 50, 1), 40, (_, i, j) => (20 * Math.Sin(j / 25.0), 20 * Math.Cos(i / 25.0)));
        var resampled = CoordinateMaps.Resample(map, new Box3(204, 406, 10, 96, 94, 1), 20, 20);
        Assert.Equal(new Box3(204, 406, 10, 96, 94, 1), resampled.Box);
        for (int i = 0; i < 93; i++)
            for (int j = 0; j < 95; j++)
            {
                int k = i * 96 + j;
                Near(20 * Math.Sin((j + 4) / 50.0), resampled.Dx(0)[k], 2, $"x ({i},{j})");
                Near(20 * Math.Cos((i + 6) / 50.0), resampled.Dy(0)[k], 2, $"y ({i},{j})");
            }
        // The last column lies half a source node beyond the grid.
        Assert.True(float.IsNaN(resampled.Dx(0)[95]));
    }

    [Fact]
    public void ResampleKeepsValuesAndRoundTrips()
    {
        var map = FromFunction(Box3.FromSize(21, 21, 1), 40, (_, i, j) => (0.5 * j + 0.25 * i, -0.75 * i));
        var coarse = CoordinateMaps.Resample(map, Box3.FromSize(11, 11, 1), 80, 80);
        for (int i = 0; i < 11; i++)
            for (int j = 0; j < 11; j++)
                Assert.Equal(map.Dx(0)[2 * i * 21 + 2 * j], coarse.Dx(0)[i * 11 + j], 1e-5);
        var back = CoordinateMaps.Resample(coarse, Box3.FromSize(21, 21, 1), 40, 40);
        for (int k = 0; k < map.Data.Length; k++) Assert.Equal(map.Data[k], back.Data[k], 1e-4);
        var nearest = CoordinateMaps.Resample(coarse, Box3.FromSize(21, 21, 1), 40, 40, ResampleMethod.Nearest);
        Assert.Equal(coarse.Dx(0)[3 * 11 + 5], nearest.Dx(0)[6 * 21 + 10]);
    }

    [Fact]
    public void ComposeWithOwnInverseIsIdentity()
    {
        var box = Box3.FromSize(50, 50, 1);
        var map = FromFunction(box, 5, (_, i, j) => (Math.Sin(j / 25.0), Math.Cos(i / 25.0)));
        var inverse = CoordinateMaps.Invert(map, box);
        foreach (var composed in new[] { CoordinateMaps.Compose(map, inverse), CoordinateMaps.ComposeFast(map, inverse) })
            for (int i = 1; i < 48; i++)
                for (int j = 1; j < 48; j++)
                {
                    Near(0, composed.Dx(0)[i * 50 + j], 3, $"x ({i},{j})");
                    Near(0, composed.Dy(0)[i * 50 + j], 3, $"y ({i},{j})");
                }
    }

    private static CoordinateMap StepFlow()
    {
        var flow = new CoordinateMap(new Box3(42, 58, 0, 50, 50, 1), 40, 40);
        for (int i = 0; i < 50; i++)
        {
            for (int j = 10; j < 25; j++) flow.Dx(0)[i * 50 + j] = -5;
            for (int j = 25; j < 40; j++) flow.Dx(0)[i * 50 + j] = 65;
            SetUnknown(flow, 0, i, 4);
        }
        return flow;
    }

    [Fact]
    public void ComposeFastWithIdentityIsExact()
    {
        var flow = StepFlow();
        var composed = CoordinateMaps.ComposeFast(flow, new CoordinateMap(new Box3(40, 50, 0, 60, 60, 1), 40, 40));
        Assert.Equal(flow.Data, composed.Data);
    }

    [Fact]
    public void ComposeFastAddsDisplacementsExactly()
    {
        var second = new CoordinateMap(new Box3(40, 50, 0, 60, 60, 1), 40, 40);
        for (int i = 0; i < 60; i++)
            for (int j = 7; j < 60; j++) second.Dx(0)[i * 60 + j] = -10;
        var composed = CoordinateMaps.ComposeFast(StepFlow(), second);
        for (int i = 0; i < 50; i++)
        {
            for (int j = 0; j < 50; j++)
            {
                float expected = j switch { 4 => float.NaN, < 4 => 0, < 10 => -10, < 25 => -15, < 40 => 55, _ => -10 };
                Assert.Equal(expected, composed.Dx(0)[i * 50 + j]);
                Assert.Equal(j == 4 ? float.NaN : 0f, composed.Dy(0)[i * 50 + j]);
            }
        }
    }

    [Fact]
    public void ComposeFastClampsDisplacementAtTheEdge()
    {
        // Points pushed past the second map's edge keep the edge displacement.
        var first = CoordinateMap.Filled(Box3.FromSize(5, 5, 1), 40, 40, 0);
        first.Dx(0).Fill(100);
        var second = CoordinateMap.Filled(Box3.FromSize(5, 5, 1), 40, 40, 3);
        var composed = CoordinateMaps.ComposeFast(first, second);
        Assert.All(composed.Dx(0).ToArray(), v => Assert.Equal(103f, v));
        var scattered = CoordinateMaps.Compose(first, second);
        Assert.True(float.IsNaN(scattered.Dx(0)[4])); // off the second grid: unknown
        Assert.Equal(103f, scattered.Dx(0)[0]);
    }

    [Fact]
    public void ComposeInterpolatesOverUnknownNodesOfTheSecondMap()
    {
        var first = new CoordinateMap(Box3.FromSize(10, 10, 1), 40, 40);
        var second = FromFunction(Box3.FromSize(10, 10, 1), 40, (_, i, j) => (0.5 * j, 0.25 * i));
        SetUnknown(second, 0, 5, 5);
        var composed = CoordinateMaps.Compose(first, second);
        Assert.Equal(2.5, composed.Dx(0)[55], 1e-5);
        Assert.Equal(1.25, composed.Dy(0)[55], 1e-5);
        Assert.True(float.IsNaN(CoordinateMaps.ComposeFast(first, second).Dx(0)[55]));
    }

    [Fact]
    public void MaskIrregularFlagsStretchedNodes()
    {
        var map = new CoordinateMap(Box3.FromSize(50, 50, 1), 40, 40);
        map.Dx(0)[40 * 50 + 10] = 10;
        var mask = CoordinateMaps.MaskIrregular(map, 0.25, 1.1);
        for (int i = 0; i < 50; i++)
            for (int j = 0; j < 50; j++)
            {
                bool expected = i is >= 39 and <= 41 && j is >= 8 and <= 10;
                Assert.Equal(expected, mask[i * 50 + j]);
                Assert.Equal(expected, float.IsNaN(map.Dx(0)[i * 50 + j]));
            }
    }

    [Fact]
    public void AffineMapOfTranslationIsConstant()
    {
        var map = CoordinateMaps.MakeAffine([1, 0, 1, 0, 1, 2], new Box3(5, 6, 0, 8, 9, 2), 40, 40);
        Assert.All(map.Dx(1).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(map.Dy(0).ToArray(), v => Assert.Equal(2f, v));
        // A rotation about the origin: node (x, y) goes to (−y, x).
        var rotation = CoordinateMaps.MakeAffine([0, -1, 0, 1, 0, 0], new Box3(1, 2, 0, 3, 3, 1), 10, 10);
        double x = rotation.NodeX(2), y = rotation.NodeY(1);
        Assert.Equal(-y - x, rotation.Dx(0)[1 * 3 + 2], 1e-4);
        Assert.Equal(x - y, rotation.Dy(0)[1 * 3 + 2], 1e-4);
    }
}
