using EmAlign.Flow;

namespace EmAlign.Tests.Flow;

/// <summary>Ports of SOFIMA tests/flow_utils_test.py (spec 7.2) and the upsampling used by the multi-resolution merge.</summary>
public class FlowCleanReconcileTests
{
    [Fact]
    public void ApplyMaskSetsEveryChannelToNaN()
    {
        var f = new FlowField(50, 50, 40, FlowLayout.VectorsDeltaZ);
        var mask = new bool[2500];
        mask[10 * 50 + 20] = mask[30 * 50 + 5] = true;
        f.ApplyMask(mask);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 50; y++)
                for (int x = 0; x < 50; x++)
                    Assert.Equal(mask[y * 50 + x], float.IsNaN(f[c, y, x]));
    }

    [Fact]
    public void CleanFlowAppliesEachThreshold()
    {
        // 7.2-2: (4, 50 rows, 40 cols) zeros; sharpness 2 except 1.2 at (10,20); ratio 1.2 at (10,22), 1.6 at (10,24);
        // dx 12 at (5,4), dy -14 at (5,6), all channels 2 at (5,10), all channels 7 at (15,10).
        var f = new FlowField(40, 50, 40, FlowLayout.VectorsStats);
        f.Channel(2).Fill(2f);
        f[2, 10, 20] = 1.2f;
        f[3, 10, 22] = 1.2f;
        f[3, 10, 24] = 1.6f;
        f[0, 5, 4] = 12;
        f[1, 5, 6] = -14;
        for (int c = 0; c < 4; c++) { f[c, 5, 10] = 2; f[c, 15, 10] = 7; }
        var clean = FlowCleaner.Clean(f, new FlowCleanOptions { MinPeakRatio = 1.4, MinPeakSharpness = 1.6, MaxMagnitude = 10, MaxDeviation = 5 });
        Assert.Equal(FlowLayout.Vectors, clean.Layout);
        var nan = new HashSet<(int, int)> { (15, 10), (10, 20), (10, 22), (5, 4), (5, 6) };
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 50; y++)
                for (int x = 0; x < 40; x++)
                {
                    float expected = nan.Contains((y, x)) ? float.NaN : (y, x) == (5, 10) ? 2f : 0f;
                    Assert.Equal(expected, clean[c, y, x]);
                }
    }

    [Fact]
    public void CleanFlowWithoutStatisticsKeepsAllChannels()
    {
        var f = new FlowField(5, 5, 40, FlowLayout.VectorsDeltaZ);
        f[0, 2, 2] = 50;
        var clean = FlowCleaner.Clean(f, new FlowCleanOptions { MinPeakRatio = 100, MinPeakSharpness = 100, MaxMagnitude = 40, MaxDeviation = 0 });
        Assert.Equal(FlowLayout.VectorsDeltaZ, clean.Layout);
        Assert.Equal(24, clean.ValidCount);
        for (int c = 0; c < 3; c++) Assert.True(float.IsNaN(clean[c, 2, 2]));
    }

    [Fact]
    public void ReconcileFlowsPrefersEarlierFlowsAndFilters()
    {
        // 7.2-3.
        FlowField Nan() => FlowField.CreateInvalid(40, 50, 40, FlowLayout.VectorsDeltaZ);
        var f1 = Nan(); var f2 = Nan(); var f3 = Nan();
        void Set(FlowField f, int y, int x, float v) { for (int c = 0; c < 3; c++) f[c, y, x] = v; }
        Set(f1, 10, 10, 2); Set(f2, 10, 10, 3);
        Set(f3, 20, 20, 4); Set(f2, 20, 20, 1);
        for (int y = 30; y < 35; y++) for (int x = 30; x < 35; x++) Set(f2, y, x, 5);
        f2[0, 32, 32] = 15;
        var r = FlowReconciler.Reconcile([f1, f2, f3], new FlowReconcileOptions { MaxGradient = 0, MaxDeviation = 8, MinPatchSize = 0, MinDeltaZ = 2 });
        for (int y = 0; y < 50; y++)
            for (int x = 0; x < 40; x++)
            {
                float expected = (y, x) == (10, 10) ? 2 : (y, x) == (20, 20) ? 4
                    : y is >= 30 and < 35 && x is >= 30 and < 35 && (y, x) != (32, 32) ? 5 : float.NaN;
                for (int c = 0; c < 3; c++) Assert.Equal(expected, r[c, y, x]);
            }
    }

    [Fact]
    public void ReconcileGradientTestTreatsTheBorderAsZeroAndRemovesSmallIslands()
    {
        var f = new FlowField(10, 10, 40, FlowLayout.Vectors);
        f.Channel(0).Fill(3f);
        f[0, 5, 5] = 20; // jump of 17 to both neighbours along x
        var r = FlowReconciler.Reconcile([f], new FlowReconcileOptions { MaxGradient = 10, MaxDeviation = 0, MinPatchSize = 0 });
        Assert.True(float.IsNaN(r[0, 5, 5]));
        Assert.True(float.IsNaN(r[0, 5, 4]) && float.IsNaN(r[0, 5, 6])); // both ends of a jump go
        Assert.Equal(3f, r[0, 2, 2]);
        var border = new FlowField(10, 10, 40, FlowLayout.Vectors);
        border.Channel(0).Fill(12f);
        r = FlowReconciler.Reconcile([border], new FlowReconcileOptions { MaxGradient = 10, MaxDeviation = 0, MinPatchSize = 0 });
        Assert.True(float.IsNaN(r[0, 4, 0]) && float.IsNaN(r[0, 4, 9]));
        Assert.Equal(12f, r[0, 4, 4]);

        var islands = FlowField.CreateInvalid(10, 10, 40, FlowLayout.Vectors);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) { islands[0, y, x] = 1; islands[1, y, x] = 1; } // 9 nodes
        islands[0, 8, 8] = islands[1, 8, 8] = 1; islands[0, 8, 9] = islands[1, 8, 9] = 1; // 2 nodes
        islands[0, 9, 7] = islands[1, 9, 7] = 1; // diagonal to (8,8): a separate island with 4-connectivity
        r = FlowReconciler.Reconcile([islands], new FlowReconcileOptions { MaxGradient = 0, MaxDeviation = 0, MinPatchSize = 2 });
        Assert.Equal(11, r.ValidCount);
        Assert.True(float.IsNaN(r[0, 9, 7]));
    }

    [Fact]
    public void UpsampleScalesPositionsAndVectorsAndKeepsInvalidRegions()
    {
        // Coarse field (stride 40 in 2x pixels = 80 full-res px): a linear field dx = node x index, dy = 1.
        var coarse = new FlowField(6, 5, 40, FlowLayout.VectorsDeltaZ);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 6; x++) { coarse[0, y, x] = x; coarse[1, y, x] = 1; coarse[2, y, x] = 3; }
        coarse[0, 4, 5] = coarse[1, 4, 5] = float.NaN;
        var fine = FlowReconciler.Upsample(coarse, 2, 12, 10, 40);
        // Fine node (y 2, x 3) is at 120 px = 60 coarse px = coarse node 1.5.
        Assert.Equal(1.5f * 2, fine[0, 2, 3], 5);
        Assert.Equal(2f, fine[1, 2, 3], 5);
        Assert.Equal(3f, fine[2, 2, 3]);
        Assert.Equal(4f * 2, fine[0, 4, 8], 5); // exactly on coarse node (2, 4)
        Assert.True(float.IsNaN(fine[0, 8, 10])); // nearest coarse node (4, 5) is invalid
        Assert.True(float.IsNaN(fine[0, 9, 11])); // beyond the last coarse node
        Assert.True(float.IsNaN(fine[0, 8, 9]));  // u = 4.5 rounds up to the invalid node 5
        // A valid nearest node with an invalid corner: weights renormalised over the three valid corners.
        var dense = FlowReconciler.Upsample(coarse, 2, 40, 40, 10);
        double expected = (0.1875 * 4 + 0.0625 * 5 + 0.5625 * 4) / 0.8125 * 2; // u = 4.25, v = 3.75
        Assert.Equal(expected, dense[0, 30, 34], 4);
    }
}
