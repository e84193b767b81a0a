using EmAlign.Numerics;

namespace EmAlign.Flow;

/// <summary>Thresholds of <see cref="FlowCleaner.Clean"/> (SOFIMA clean_flow); a value of 0 switches a test off.</summary>
public sealed record FlowCleanOptions
{
    /// <summary>Reject 0 &lt; peak ratio &lt; this; a ratio of 0 (single peak) is accepted.</summary>
    public double MinPeakRatio { get; init; } = 1.6;

    /// <summary>Reject |peak sharpness| &lt; this.</summary>
    public double MinPeakSharpness { get; init; } = 1.6;

    /// <summary>Reject max(|dx|, |dy|) &gt; this (L-infinity norm), in the flow's own pixel units.</summary>
    public double MaxMagnitude { get; init; } = 40;

    /// <summary>Reject a vector whose component differs by more than this from the 3x3 median of its neighbourhood.</summary>
    public double MaxDeviation { get; init; } = 10;
}

/// <summary>Removes unreliable flow vectors (SOFIMA flow_utils.clean_flow, 2D).</summary>
public static class FlowCleaner
{
    /// <summary>
    /// Returns a cleaned copy. A <see cref="FlowLayout.VectorsStats"/> input is reduced to
    /// <see cref="FlowLayout.Vectors"/> after the peak tests; other layouts keep all channels and skip them.
    /// A vector is rejected (NaN in every channel) when: its peak sharpness or ratio fails the thresholds; its
    /// largest component exceeds <see cref="FlowCleanOptions.MaxMagnitude"/>; or either component differs by more
    /// than <see cref="FlowCleanOptions.MaxDeviation"/> from the 3x3 median of the input (NaN counted as 0 there,
    /// as SOFIMA does, so invalid neighbours pull the median toward 0; reflected edges).
    /// </summary>
    public static FlowField Clean(FlowField flow, FlowCleanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(flow);
        options ??= new FlowCleanOptions();
        int n = flow.NodeCount;
        var bad = new bool[n];
        var src = flow.Data;
        bool stats = flow.Layout == FlowLayout.VectorsStats;
        if (stats)
            for (int i = 0; i < n; i++)
            {
                float sharp = Math.Abs(src[2 * n + i]), ratio = Math.Abs(src[3 * n + i]);
                if (sharp < options.MinPeakSharpness || (ratio > 0 && ratio < options.MinPeakRatio)) bad[i] = true;
            }
        if (options.MaxMagnitude > 0)
            for (int i = 0; i < n; i++)
                if (Math.Max(Math.Abs(src[i]), Math.Abs(src[n + i])) > options.MaxMagnitude) bad[i] = true;
        if (options.MaxDeviation > 0) MarkDeviations(flow, options.MaxDeviation, 2, bad);

        var layout = stats ? FlowLayout.Vectors : flow.Layout;
        var result = new FlowField(flow.Width, flow.Height, flow.Stride, layout, flow.OriginX, flow.OriginY, flow.PatchSize, flow.PostPatchSize);
        Array.Copy(src, result.Data, result.Data.Length);
        SetInvalid(result, bad);
        return result;
    }

    /// <summary>Marks nodes where any of the first <paramref name="decideChannels"/> channels deviates from its 3x3 median (NaN as 0) by more than the limit.</summary>
    internal static void MarkDeviations(FlowField flow, double maxDeviation, int decideChannels, bool[] bad)
    {
        int n = flow.NodeCount;
        var plane = new float[n];
        var median = new float[n];
        for (int c = 0; c < decideChannels; c++)
        {
            var values = flow.Channel(c);
            for (int i = 0; i < n; i++) plane[i] = float.IsNaN(values[i]) ? 0f : values[i];
            MedianFilter.Median3x3(plane, flow.Width, flow.Height, median);
            for (int i = 0; i < n; i++)
                if (Math.Abs(median[i] - values[i]) > maxDeviation) bad[i] = true; // NaN never compares true
        }
    }

    internal static void SetInvalid(FlowField flow, bool[] bad)
    {
        int n = flow.NodeCount;
        for (int i = 0; i < n; i++)
            if (bad[i])
                for (int c = 0; c < flow.Channels; c++) flow.Data[c * n + i] = float.NaN;
    }
}
