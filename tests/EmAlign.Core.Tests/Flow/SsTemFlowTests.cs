using EmAlign.Flow;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Numerics;
using EmAlign.Tests.Support;

namespace EmAlign.Tests.Flow;

/// <summary>Flow on real EM (the ssTEM stack) shifted by known sub-pixel amounts.</summary>
public class SsTemFlowTests
{
    /// <summary>One section of the ssTEM stack (1024 x 1024 uint8) as floats, through the engine's TIFF reader.</summary>
    internal static Image2D<float> ReadSsTem(string name)
    {
        using var v = VolumeFormats.Open(Path.Combine(SharedData.SsTemRaw, name));
        Assert.Equal(Box3.FromSize(1024, 1024, 1), v.Bounds);
        return new Image2D<float>(v.ReadSingle(0, v.Bounds), 1024, 1024);
    }

    /// <summary>result(x, y) = image(x - tx, y - ty), band-limited (periodic) shift through the 2D FFT.</summary>
    internal static Image2D<float> FourierShift(Image2D<float> image, double tx, double ty)
    {
        int w = image.Width, h = image.Height;
        var re = (float[])image.Data.Clone();
        var im = new float[re.Length];
        var fft = Fft2D.Create(h, w);
        fft.Forward(re, im);
        for (int ky = 0; ky < h; ky++)
        {
            double fy = (ky <= h / 2 ? ky : ky - h) / (double)h;
            for (int kx = 0; kx < w; kx++)
            {
                double fx = (kx <= w / 2 ? kx : kx - w) / (double)w;
                double a = -2 * Math.PI * (fx * tx + fy * ty), c = Math.Cos(a), s = Math.Sin(a);
                int i = ky * w + kx;
                float r = re[i], q = im[i];
                re[i] = (float)(r * c - q * s);
                im[i] = (float)(r * s + q * c);
            }
        }
        fft.Inverse(re, im);
        return new Image2D<float>(re, w, h);
    }

    internal static Image2D<float> Crop(Image2D<float> image, int x0, int y0, int size)
    {
        var c = new Image2D<float>(size, size);
        for (int y = 0; y < size; y++) image.Data.AsSpan((y0 + y) * image.Width + x0, size).CopyTo(c.Row(y));
        return c;
    }

    internal static (double MedianErrorX, double MedianErrorY, int Valid) Errors(FlowField f, double ex, double ey)
    {
        var errX = new List<double>();
        var errY = new List<double>();
        for (int i = 0; i < f.NodeCount; i++)
        {
            if (!float.IsFinite(f.Data[i])) continue;
            errX.Add(Math.Abs(f.Data[i] - ex));
            errY.Add(Math.Abs(f.Data[f.NodeCount + i] - ey));
        }
        errX.Sort(); errY.Sort();
        return (errX[errX.Count / 2], errY[errY.Count / 2], errX.Count);
    }

    [SsTemFact]
    public void KnownSubPixelShiftsAreRecoveredWithTheRightSign()
    {
        var full = ReadSsTem("00.tif");
        var pre = Crop(full, 256, 256, 512);
        foreach (var (tx, ty) in new[] { (2.3, -1.7), (-0.45, 3.8) })
        {
            // Shift the whole section (periodic), then take the same central crop of both.
            var post = Crop(FourierShift(full, tx, ty), 256, 256, 512);
            // post(p) = pre(p - t): content at p in post is at p - t in pre, so the flow is -t.
            var integer = FlowEstimator.Estimate(pre, post, new FlowOptions());
            var (ix, iy, n) = Errors(integer, Math.Round(-tx), Math.Round(-ty));
            Assert.Equal(81, n); // (512 - 160) / 40 + 1 = 9 per axis, all valid
            Assert.Equal(0, ix);
            Assert.Equal(0, iy);
            foreach (var refine in new[] { SubPixelRefinement.Parabolic, SubPixelRefinement.Gaussian })
            {
                var f = FlowEstimator.Estimate(pre, post, new FlowOptions { SubPixel = refine });
                var (mx, my, _) = Errors(f, -tx, -ty);
                Assert.True(mx < 0.1 && my < 0.1, $"{refine} shift ({tx}, {ty}): median errors {mx:F3}, {my:F3}");
            }
        }
    }

    [SsTemFact]
    public void AdjacentRealSectionsGiveAConsistentCleanFlow()
    {
        var pre = ReadSsTem("00.tif");
        var post = ReadSsTem("01.tif");
        var f = FlowEstimator.Estimate(pre, post);
        Assert.True(f.ValidCount > 0.9 * f.NodeCount);
        var clean = FlowCleaner.Clean(f);
        Assert.True(clean.ValidCount > 0.5 * f.NodeCount, clean.ToString());
        var merged = MultiResolutionFlow.Estimate(pre, post);
        Assert.True(merged.ValidCount >= clean.ValidCount / 2, merged.ToString());
        // Neighbouring vectors of a registered ssTEM pair differ by a few pixels at most.
        var (mx, my, _) = Errors(merged, Median(merged.Channel(0)), Median(merged.Channel(1)));
        Assert.True(mx < 3 && my < 3, $"spread {mx}, {my}");
    }

    private static double Median(Span<float> values)
    {
        var v = values.ToArray().Where(float.IsFinite).OrderBy(a => a).ToArray();
        return v[v.Length / 2];
    }
}
