using EmAlign.Numerics;

namespace EmAlign.Tests.Numerics;

public class FilterTests
{
    [Fact]
    public void Median3x3RepeatsEdgeSamples()
    {
        // 4 x 3 plane; at the corner (0,0) the window is {a,a,b, a,a,b, e,e,f} with reflected (repeated) edges.
        float[] src =
        [
            1, 9, 2, 7,
            5, 3, 8, 4,
            6, 0, 10, 11,
        ];
        var dst = new float[12];
        MedianFilter.Median3x3(src, 4, 3, dst);
        Assert.Equal(Median(1, 1, 9, 1, 1, 9, 5, 5, 3), dst[0]);
        Assert.Equal(Median(1, 9, 2, 5, 3, 8, 6, 0, 10), dst[5]);
        Assert.Equal(Median(8, 4, 4, 10, 11, 11, 10, 11, 11), dst[11]);
        var same = new float[12];
        Array.Fill(same, 3f);
        MedianFilter.Median3x3(same, 4, 3, dst);
        Assert.All(dst, v => Assert.Equal(3f, v));
    }

    private static float Median(params float[] v)
    {
        Array.Sort(v);
        return v[4];
    }

    [Fact]
    public void AreaDownsampleAveragesBlocksAndDropsPartialOnes()
    {
        var img = new Image2D<float>(5, 4);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 5; x++) img[y, x] = y * 10 + x;
        var d = AreaDownsample.Apply(img, 2);
        Assert.Equal((2, 2), (d.Width, d.Height));
        Assert.Equal((0 + 1 + 10 + 11) / 4f, d[0, 0]);
        Assert.Equal((22 + 23 + 32 + 33) / 4f, d[1, 1]);
    }
}
