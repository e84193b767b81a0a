using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Flow;

/// <summary>Settings of <see cref="MultiResolutionFlow.Estimate"/>; defaults are the SOFIMA alignment notebook's.</summary>
public sealed record MultiResolutionFlowOptions
{
    /// <summary>Estimator settings, used at both levels in each level's own pixels (patch 160, stride 40).</summary>
    public FlowOptions Flow { get; init; } = new();

    /// <summary>Downsampling of the coarse level (area averaging).</summary>
    public int CoarseFactor { get; init; } = 2;

    /// <summary>Cleaning of both levels, in each level's own pixel units.</summary>
    public FlowCleanOptions Clean { get; init; } = new() { MinPeakRatio = 1.6, MinPeakSharpness = 1.6, MaxMagnitude = 80, MaxDeviation = 20 };

    /// <summary>Merging of the fine flow (preferred) with the upsampled coarse flow.</summary>
    public FlowReconcileOptions Reconcile { get; init; } = new() { MaxGradient = 0, MaxDeviation = 20, MinPatchSize = 400 };
}

/// <summary>
/// The two-level flow recipe of SOFIMA's alignment notebook (spec 2.3): flows at full resolution and at a coarser
/// level, both cleaned, the coarse one upsampled onto the fine node grid (vectors scaled to fine pixels), then
/// reconciled with the fine flow preferred. Remaining gaps stay NaN (the mesh treats them as "no pull").
/// </summary>
public static class MultiResolutionFlow
{
    /// <summary>Returns a <see cref="FlowLayout.Vectors"/> flow on the fine node grid of the post section.</summary>
    public static FlowField Estimate(Image2D<float> pre, Image2D<float> post, MultiResolutionFlowOptions? options = null,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(post);
        options ??= new MultiResolutionFlowOptions();
        if (options.CoarseFactor < 2) throw new ArgumentOutOfRangeException(nameof(options), options.CoarseFactor, "CoarseFactor must be at least 2.");
        var fine = FlowEstimator.Estimate(pre, post, options.Flow, null, progress, cancellationToken).PadToNodeGrid(post.Width, post.Height);
        var preC = AreaDownsample.Apply(pre, options.CoarseFactor);
        var postC = AreaDownsample.Apply(post, options.CoarseFactor);
        var coarse = FlowEstimator.Estimate(preC, postC, options.Flow, null, progress, cancellationToken).PadToNodeGrid(postC.Width, postC.Height);
        var fineClean = FlowCleaner.Clean(fine, options.Clean);
        var coarseClean = FlowCleaner.Clean(coarse, options.Clean);
        var up = FlowReconciler.Upsample(coarseClean, options.CoarseFactor, fineClean.Width, fineClean.Height, fineClean.Stride, fineClean.OriginX, fineClean.OriginY);
        return FlowReconciler.Reconcile([fineClean, up], options.Reconcile);
    }
}
