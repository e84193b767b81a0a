using EmAlign.Flow;
using EmAlign.Geometry;
using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Quality;

/// <summary>Summary of residual shifts between an aligned stack and a reference, pixels.</summary>
public sealed record ResidualSummary(int Patches, double Median, double P95, double FractionAbove2Px, double Max)
{
    public override string ToString() => $"{Patches} patches: median {Median:0.000} px, p95 {P95:0.000} px, >2 px {FractionAbove2Px:P2}, max {Max:0.00} px";
}

/// <summary>
/// Residual misalignment measured from images: each section of an aligned stack is cross-correlated with the
/// same section of a reference (e.g. the undeformed original) on non-overlapping square patches, with
/// sub-pixel peak refinement. Patches touching padding (zeros) in either image are left out.
/// </summary>
public static class ResidualShifts
{
    /// <summary>Residual shift lengths of every usable patch of sections <paramref name="sections"/> (all when null).</summary>
    public static List<double> Measure(EmVolume aligned, EmVolume reference, int patchSize = 128, IEnumerable<int>? sections = null, CancellationToken ct = default)
    {
        var (w, h, d) = aligned.Levels[0].Size;
        var (rw, rh, _) = reference.Levels[0].Size;
        if (rw != w || rh != h) throw new Diagnostics.EmAlignException($"The aligned stack is {w} x {h}, the reference {rw} x {rh}: residuals need equal section sizes.", "reference");
        var options = new FlowOptions { PatchSize = patchSize, Stride = patchSize, SubPixel = SubPixelRefinement.Gaussian, PeakMinDistance = 1 };
        var result = new List<double>();
        foreach (int z in sections ?? Enumerable.Range(0, (int)d))
        {
            ct.ThrowIfCancellationRequested();
            var box = new Box3(0, 0, z, w, h, 1);
            var a = new Image2D<float>(aligned.ReadSingle(0, box), (int)w, (int)h);
            var r = new Image2D<float>(reference.ReadSingle(0, box), (int)w, (int)h);
            var flow = FlowEstimator.Estimate(r, a, options, null, null, ct);
            for (int i = 0; i < flow.Height; i++)
                for (int j = 0; j < flow.Width; j++)
                {
                    if (!flow.IsValid(i, j)) continue;
                    int x0 = j * patchSize, y0 = i * patchSize;
                    if (HasPadding(a, x0, y0, patchSize) || HasPadding(r, x0, y0, patchSize)) continue;
                    double dx = flow[0, i, j], dy = flow[1, i, j];
                    result.Add(Math.Sqrt(dx * dx + dy * dy));
                }
        }
        return result;
    }

    public static ResidualSummary Summarize(List<double> shifts)
    {
        if (shifts.Count == 0) return new ResidualSummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var s = shifts.Order().ToList();
        return new ResidualSummary(s.Count, Alignment.StackMesh.Percentile(s, 0.5), Alignment.StackMesh.Percentile(s, 0.95), s.Count(v => v > 2) / (double)s.Count, s[^1]);
    }

    /// <summary>True when more than 1% of the patch is exactly zero (padding rather than tissue).</summary>
    private static bool HasPadding(Image2D<float> img, int x0, int y0, int size)
    {
        int zeros = 0;
        for (int y = y0; y < Math.Min(img.Height, y0 + size); y++)
        {
            var row = img.Row(y);
            for (int x = x0; x < Math.Min(img.Width, x0 + size); x++) if (row[x] == 0) zeros++;
        }
        return zeros > size * size / 100;
    }
}
