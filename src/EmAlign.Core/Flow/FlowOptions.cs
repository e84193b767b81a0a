using EmAlign.Numerics;

namespace EmAlign.Flow;

/// <summary>Which cross-correlation the estimator computes per patch pair.</summary>
public enum CorrelationMode
{
    /// <summary>
    /// Raw, unnormalised correlation of the mean-removed patches (SOFIMA mode A, the production default,
    /// i.e. mask_only_for_patch_selection = True). Masks only decide which patches are computed.
    /// </summary>
    MeanRemoved,

    /// <summary>
    /// Masked normalised cross-correlation (Padfield 2012; SOFIMA mode B): masked pixels are excluded from the
    /// means, sums and variances; 12 transforms per patch instead of 3, about 10x slower here. Without masks this
    /// is a plain overlap-normalised NCC.
    /// </summary>
    MaskedNormalized,
}

/// <summary>
/// Parameters of patch-based flow estimation, named after SOFIMA's flow_field and its EstimateFlow processor.
/// Defaults are SOFIMA's em_2d defaults (patch 160, stride 40, mean-removed correlation).
/// </summary>
public sealed record FlowOptions
{
    /// <summary>Pre (reference) patch size in pixels, square. SOFIMA patch_size.</summary>
    public int PatchSize { get; init; } = 160;

    /// <summary>Post (moving) patch size in pixels; null = <see cref="PatchSize"/>. A larger pre patch searches further (SOFIMA post_patch_size).</summary>
    public int? PostPatchSize { get; init; }

    /// <summary>Grid spacing in pixels (SOFIMA step / stride).</summary>
    public int Stride { get; init; } = 40;

    /// <summary>Subtract this constant from every patch instead of the patch's own mean (SOFIMA mean); null = per-patch mean.</summary>
    public float? Mean { get; init; }

    /// <summary>Half-width of the local-maximum window for peak candidates: a (2d+1)^2 window (SOFIMA peak_min_distance).</summary>
    public int PeakMinDistance { get; init; } = 2;

    /// <summary>Half-width of the window whose minimum defines peak sharpness: (2r+1)^2 (SOFIMA peak_radius).</summary>
    public int PeakRadius { get; init; } = 5;

    /// <summary>Skip a patch whose masked fraction (pre or post mask) is at least this (SOFIMA max_masked).</summary>
    public double MaxMasked { get; init; } = 0.75;

    public CorrelationMode Correlation { get; init; } = CorrelationMode.MeanRemoved;

    /// <summary>
    /// Most patches one worker handles in a row before others can take over. Results never depend on it:
    /// statistics are per patch (SOFIMA's cross-batch quirks are not reproduced).
    /// </summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Optional sub-pixel peak refinement; SOFIMA has none (integer flow).</summary>
    public SubPixelRefinement SubPixel { get; init; } = SubPixelRefinement.None;

    /// <summary>Worker threads; -1 = all cores.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>The post patch size in effect.</summary>
    public int EffectivePostPatchSize => PostPatchSize ?? PatchSize;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid parameter.</summary>
    public void Validate()
    {
        if (PatchSize < 1) throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, "PatchSize must be at least 1 pixel.");
        if (EffectivePostPatchSize < 1) throw new ArgumentOutOfRangeException(nameof(PostPatchSize), PostPatchSize, "PostPatchSize must be at least 1 pixel.");
        if (Stride < 1) throw new ArgumentOutOfRangeException(nameof(Stride), Stride, "Stride must be at least 1 pixel.");
        if (PeakMinDistance < 0) throw new ArgumentOutOfRangeException(nameof(PeakMinDistance), PeakMinDistance, "PeakMinDistance must not be negative.");
        if (PeakRadius < 0) throw new ArgumentOutOfRangeException(nameof(PeakRadius), PeakRadius, "PeakRadius must not be negative.");
        if (!(MaxMasked > 0 && MaxMasked <= 1)) throw new ArgumentOutOfRangeException(nameof(MaxMasked), MaxMasked, "MaxMasked must be in (0, 1].");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be -1 (all cores) or positive.");
        if (Mean is { } m && !float.IsFinite(m)) throw new ArgumentOutOfRangeException(nameof(Mean), m, "Mean must be finite.");
    }
}

/// <summary>Optional per-call inputs of <see cref="FlowEstimator.Estimate"/>.</summary>
public sealed record FlowInputs
{
    /// <summary>Pre image mask, true = invalid pixel; at least as large as the pre image (its top-left part is used).</summary>
    public Image2D<bool>? PreMask { get; init; }

    /// <summary>Post image mask, true = invalid pixel; at least as large as the post image.</summary>
    public Image2D<bool>? PostMask { get; init; }

    /// <summary>Which grid entries to compute (true = compute), at least the size of the output grid.</summary>
    public Image2D<bool>? Selection { get; init; }

    /// <summary>Prior flow (e.g. from a coarser pass) that moves each pre patch before correlating; the offset is added back (SOFIMA pre_targeting_field).</summary>
    public FlowField? PreTargeting { get; init; }

    /// <summary>Prior flow that moves each post patch; the offset is subtracted (SOFIMA post_targeting_field).</summary>
    public FlowField? PostTargeting { get; init; }
}
