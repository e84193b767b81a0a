using EmAlign.Flow;
using EmAlign.Numerics;

namespace EmAlign.Tests.Flow;

/// <summary>Ports of SOFIMA tests/flow_field_test.py (spec 7.1) and further estimator behaviour.</summary>
public class FlowEstimatorTests
{
    private static Image2D<float> Dots(int size, params (int Y, int X)[] dots)
    {
        var img = new Image2D<float>(size, size);
        foreach (var (y, x) in dots) img[y, x] = 255;
        return img;
    }

    private static void AssertAll(FlowField f, int channel, float expected)
    {
        foreach (var v in f.Channel(channel)) Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData(CorrelationMode.MeanRemoved)]
    [InlineData(CorrelationMode.MaskedNormalized)]
    public void SingleDotFlowHasTheDocumentedSign(CorrelationMode mode)
    {
        // 7.1-1: pre dot at (y 60, x 60), post dot at (70, 53): f = p_pre - p_post = (+7, -10).
        var pre = Dots(120, (60, 60));
        var post = Dots(120, (70, 53));
        var f = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40, BatchSize = 4, Correlation = mode });
        Assert.Equal((2, 2), (f.Width, f.Height));
        Assert.Equal(FlowLayout.VectorsStats, f.Layout);
        AssertAll(f, 0, 7);
        AssertAll(f, 1, -10);
        AssertAll(f, 3, 0); // a single peak: ratio 0
        Assert.Equal(40, f.OriginX);
        Assert.Equal(40, f.Stride);
    }

    [Fact]
    public void MaskingRemovesADistractor()
    {
        // 7.1-2: a second post dot inside a masked region; the 128 x 128 mask is bigger than the 120 x 120 image.
        var pre = Dots(120, (60, 60));
        var post = Dots(120, (70, 53), (54, 68));
        var mask = new Image2D<bool>(128, 128);
        for (int y = 0; y <= 54; y++) for (int x = 0; x <= 69; x++) mask[y, x] = true;
        var inputs = new FlowInputs { PostMask = mask };
        var f = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40, BatchSize = 4, Correlation = CorrelationMode.MaskedNormalized }, inputs);
        AssertAll(f, 0, 7);
        AssertAll(f, 1, -10);
        AssertAll(f, 3, 0);
        // Without the mask in the correlation the distractor wins somewhere.
        var unmasked = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40 }, inputs);
        Assert.Contains(unmasked.Channel(0).ToArray(), v => v != 7);
    }

    [Fact]
    public void PostTargetingMeasuresShiftsBeyondHalfAPatch()
    {
        // 7.1-5: features 45 and 50 px apart with 80 px patches.
        var pre = Dots(120, (50, 55));
        var post = Dots(120, (100, 100));
        var options = new FlowOptions { PatchSize = 80, Stride = 40 };
        var plain = FlowEstimator.Estimate(pre, post, options);
        for (int c = 0; c < 4; c++) Assert.True(float.IsNaN(plain[c, 0, 0]));
        var target = new FlowField(2, 2, 40, FlowLayout.Vectors);
        Array.Fill(target.Data, 40f);
        var f = FlowEstimator.Estimate(pre, post, options, new FlowInputs { PostTargeting = target });
        Assert.Equal((2, 2), (f.Width, f.Height));
        AssertAll(f, 0, -45);
        AssertAll(f, 1, -50);
    }

    [Fact]
    public void PreTargetingAddsItsOffsetBack()
    {
        var pre = Dots(120, (100, 100));
        var post = Dots(120, (50, 55));
        var target = new FlowField(2, 2, 40, FlowLayout.Vectors);
        Array.Fill(target.Data, 40f);
        var f = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40 }, new FlowInputs { PreTargeting = target });
        AssertAll(f, 0, 45);
        AssertAll(f, 1, 50);
    }

    [Fact]
    public void PeakStatisticsFollowTheSyntheticSurfaceDefinition()
    {
        // 7.1-4: surface 10 exp(-r/4), r = sqrt(2 (28 - x)^2 + (20 - y)^2) on 50 x 50, centre offset (25, 25),
        // min distance 2, peak radius (x 3, y 2).
        var c = new float[50 * 50];
        for (int y = 0; y < 50; y++)
            for (int x = 0; x < 50; x++)
                c[y * 50 + x] = 10f * MathF.Exp(-MathF.Sqrt(2 * (28 - x) * (28 - x) + (20 - y) * (20 - y)) / 4);
        PeakResult p;
        unsafe
        {
            fixed (float* pc = c) p = PeakFinder.Find(pc, 50, 50, 50, 2, 3, 2, SubPixelRefinement.None);
        }
        Assert.True(p.Found);
        Assert.Equal(3, p.X - 25);
        Assert.Equal(-5, p.Y - 25);
        float min = float.MaxValue;
        for (int y = 18; y <= 22; y++) for (int x = 25; x <= 31; x++) min = Math.Min(min, c[y * 50 + x]);
        Assert.Equal(10f / min, p.Sharpness, 5);
        Assert.Equal(0f, p.Ratio);
    }

    [Fact]
    public void PeakRatioComparesTheTwoLargestLocalMaxima()
    {
        var c = new float[40 * 40];
        c[10 * 40 + 10] = 8; c[30 * 40 + 25] = 5; c[30 * 40 + 26] = 4.5f; c[5 * 40 + 35] = 3.9f; // 3.9 < 0.5 max: not a candidate
        unsafe
        {
            fixed (float* pc = c)
            {
                var p = PeakFinder.Find(pc, 40, 40, 40, 2, 5, 5, SubPixelRefinement.None);
                Assert.Equal((10, 10), (p.X, p.Y));
                Assert.Equal(8f / 5f, p.Ratio, 6);
                // The window minimum is 0: sharpness is infinite, and |sharpness| passes any threshold.
                Assert.True(float.IsPositiveInfinity(p.Sharpness));
                c[30 * 40 + 25] = 3; c[30 * 40 + 26] = 3; // both below half the maximum now
                p = PeakFinder.Find(pc, 40, 40, 40, 2, 5, 5, SubPixelRefinement.None);
                Assert.Equal(0f, p.Ratio);
                Array.Clear(c);
                Assert.False(PeakFinder.Find(pc, 40, 40, 40, 2, 5, 5, SubPixelRefinement.None).Found);
            }
        }
    }

    [Fact]
    public void BlankPatchesAreNaNInEveryChannel()
    {
        var rng = new Random(3);
        var pre = new Image2D<float>(200, 120);
        var post = new Image2D<float>(200, 120);
        for (int i = 0; i < pre.Data.Length; i++) pre.Data[i] = post.Data[i] = (float)rng.NextDouble();
        // Left third of post constant: patches lying fully inside it are blank.
        for (int y = 0; y < 120; y++) for (int x = 0; x < 90; x++) post[y, x] = 7f;
        var f = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40 });
        Assert.Equal((4, 2), (f.Width, f.Height));
        for (int i = 0; i < 2; i++)
        {
            for (int c = 0; c < 4; c++) Assert.True(float.IsNaN(f[c, i, 0]), $"entry ({i},0) channel {c}");
            Assert.Equal(0f, f[0, i, 3]);
            Assert.Equal(0f, f[1, i, 3]);
        }
        foreach (var mode in new[] { CorrelationMode.MaskedNormalized })
        {
            var g = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40, Correlation = mode });
            for (int c = 0; c < 4; c++) Assert.True(float.IsNaN(g[c, 0, 0]));
        }
    }

    [Fact]
    public void SelectionAndMaskedFractionDecideWhichEntriesAreComputed()
    {
        var rng = new Random(4);
        var img = new Image2D<float>(160, 160);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (float)rng.NextDouble();
        var selection = new Image2D<bool>(3, 3);
        for (int i = 0; i < 9; i++) selection.Data[i] = i != 4;
        var mask = new Image2D<bool>(160, 160);
        // 75% of the top-left 80 x 80 patch masked: exactly max_masked, so it is dropped.
        for (int y = 0; y < 80; y++) for (int x = 0; x < 60; x++) mask[y, x] = true;
        var f = FlowEstimator.Estimate(img, img, new FlowOptions { PatchSize = 80, Stride = 40 }, new FlowInputs { Selection = selection, PreMask = mask });
        Assert.False(f.IsValid(1, 1));
        Assert.False(f.IsValid(0, 0));
        Assert.True(f.IsValid(0, 1));
        Assert.Equal(0f, f[0, 0, 1]);
        Assert.Equal(7, f.ValidCount);
    }

    [Fact]
    public void GridSizeAndNodeRegistrationFollowTheSpec()
    {
        Assert.Equal((122, 122), FlowEstimator.GridSize(5000, 5000, new FlowOptions()));
        Assert.Equal((2, 2), FlowEstimator.GridSize(120, 120, new FlowOptions { PatchSize = 80, Stride = 40 }));
        var f = FlowField.CreateInvalid(122, 122, 40, FlowLayout.VectorsStats, 80, 80, 160);
        f[0, 0, 0] = 1;
        var nodes = f.PadToNodeGrid(5000, 5000);
        Assert.Equal((125, 125), (nodes.Width, nodes.Height));
        Assert.Equal(0, nodes.OriginX);
        Assert.Equal(1f, nodes[0, 2, 2]); // raw entry 0 is centred at pixel 80 = node 2
        Assert.True(float.IsNaN(nodes[0, 1, 1]));
        // 120 / 40 patches: centre 60 = node 1 plus a 20 px offset carried in the origin.
        var odd = FlowField.CreateInvalid(2, 2, 40, FlowLayout.Vectors, 60, 60, 120).PadToNodeGrid(200, 200);
        Assert.Equal(20, odd.OriginX);
        Assert.Equal(5, odd.Width);
    }

    private static Image2D<float> Noise(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new Image2D<float>(w, h);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = 100 + 50 * (float)rng.NextDouble();
        return img;
    }

    /// <summary>post(x, y) = pre(x - sx, y - sy), edges clamped.</summary>
    private static void ShiftInto(Image2D<float> pre, Image2D<float> post, int sx, int sy)
    {
        for (int y = 0; y < pre.Height; y++)
            for (int x = 0; x < pre.Width; x++)
                post[y, x] = pre[Math.Clamp(y - sy, 0, pre.Height - 1), Math.Clamp(x - sx, 0, pre.Width - 1)];
    }

    [Fact]
    public void ReusedBuffersWithNewContentGiveNewResults()
    {
        var pre = Noise(240, 240, 8);
        var post = new Image2D<float>(240, 240);
        var options = new FlowOptions { PatchSize = 80, Stride = 40 };
        ShiftInto(pre, post, 3, -2);
        var first = FlowEstimator.Estimate(pre, post, options);
        Assert.Equal(-3f, first[0, 2, 2]);
        Assert.Equal(2f, first[1, 2, 2]);
        ShiftInto(pre, post, -5, 4); // same arrays, new content: no stale cached transforms
        var second = FlowEstimator.Estimate(pre, post, options);
        Assert.Equal(5f, second[0, 2, 2]);
        Assert.Equal(-4f, second[1, 2, 2]);
    }

    [Fact]
    public void AFixedMeanReplacesThePatchMean()
    {
        var pre = Noise(200, 200, 9);
        var post = new Image2D<float>(200, 200);
        ShiftInto(pre, post, 2, 1);
        var f = FlowEstimator.Estimate(pre, post, new FlowOptions { PatchSize = 80, Stride = 40, Mean = 125f });
        Assert.Equal(-2f, f[0, 1, 1]);
        Assert.Equal(-1f, f[1, 1, 1]);
        // A constant patch equal to the fixed mean is zero after subtraction: no peak.
        var flat = new Image2D<float>(200, 200);
        Array.Fill(flat.Data, 125f);
        Assert.Equal(0, FlowEstimator.Estimate(pre, flat, new FlowOptions { PatchSize = 80, Stride = 40, Mean = 125f }).ValidCount);
    }

    [Fact]
    public void InvalidParametersNameThemselves()
    {
        var img = new Image2D<float>(100, 100);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FlowEstimator.Estimate(img, img, new FlowOptions { Stride = 0 }));
        Assert.Equal("Stride", e.ParamName);
        var small = new Image2D<float>(50, 50);
        var big = new Image2D<float>(200, 200);
        var e2 = Assert.Throws<ArgumentException>(() => FlowEstimator.Estimate(small, big, new FlowOptions { PatchSize = 80, Stride = 40 }));
        Assert.Contains("smaller than PatchSize 80", e2.Message);
        var tiny = FlowEstimator.Estimate(big, small, new FlowOptions { PatchSize = 80, Stride = 40 });
        Assert.Equal(0, tiny.NodeCount); // post smaller than a patch: an empty grid
    }
}
