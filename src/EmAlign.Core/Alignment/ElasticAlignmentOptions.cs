using EmAlign.Flow;
using EmAlign.Mesh;
using EmAlign.Warp;

namespace EmAlign.Alignment;

/// <summary>
/// Settings of the elastic (SOFIMA-style) section alignment. Defaults follow SOFIMA's em_2d set and
/// alignment notebook, with Gaussian sub-pixel peak refinement on (SOFIMA has none; it measured slightly better on the ssTEM benchmark); lengths are pixels of the
/// working level unless said otherwise.
/// </summary>
public sealed record ElasticAlignmentOptions
{
    /// <summary>Downsampling factors, relative to the working level, at which flows are measured and then merged (finest first).</summary>
    public IReadOnlyList<int> Levels { get; init; } = [1, 2];

    /// <summary>Patch size, pixels (SOFIMA patch_size).</summary>
    public int PatchSize { get; init; } = 160;

    /// <summary>Flow grid and mesh node spacing, pixels (SOFIMA stride).</summary>
    public int Stride { get; init; } = 40;

    public CorrelationMode Correlation { get; init; } = CorrelationMode.MeanRemoved;

    public SubPixelRefinement SubPixel { get; init; } = SubPixelRefinement.Gaussian;

    /// <summary>clean_flow settings, applied to each level in its own pixels (notebook values).</summary>
    public FlowCleanOptions Clean { get; init; } = new() { MinPeakRatio = 1.6, MinPeakSharpness = 1.6, MaxMagnitude = 80, MaxDeviation = 20 };

    /// <summary>reconcile_flows settings for merging the levels (notebook values).</summary>
    public FlowReconcileOptions Reconcile { get; init; } = new() { MaxGradient = 0, MaxDeviation = 20, MinPatchSize = 400 };

    /// <summary>A section whose cleaned flow keeps fewer than this fraction of its patches is compared with an earlier section instead.</summary>
    public double MinValidFraction { get; init; } = 0.25;

    /// <summary>How far back (in sections) a damaged section's successor may look for its reference.</summary>
    public int MaxDeltaZ { get; init; } = 2;

    /// <summary>Mesh relaxation settings; the stride is taken from <see cref="Stride"/>.</summary>
    public IntegrationConfig Mesh { get; init; } = IntegrationConfig.Em2d;

    /// <summary>Sections per block for the block-parallel chain; 0 solves the whole stack sequentially.</summary>
    public int BlockLength { get; init; }

    public WarpInterpolation Interpolation { get; init; } = WarpInterpolation.Lanczos4;

    /// <summary>
    /// Refinement passes after the first solve (not part of SOFIMA): flows measured again between sections warped
    /// by the solution so far, solved and composed with it (see <see cref="StackMesh.Refine"/>).
    /// </summary>
    public int RefinePasses { get; init; } = 1;

    /// <summary>Checks the settings; throws <see cref="Diagnostics.EmAlignException"/> naming the parameter.</summary>
    public void Validate()
    {
        if (Levels.Count == 0 || Levels.Any(l => l < 1) || Levels.Distinct().Count() != Levels.Count)
            throw new Diagnostics.EmAlignException($"Levels [{string.Join(", ", Levels)}] are not valid: expected distinct downsampling factors of at least 1, e.g. 1,2,4.", "Levels");
        if (PatchSize < 8) throw new Diagnostics.EmAlignException($"PatchSize {PatchSize} is too small: expected at least 8 pixels.", "PatchSize");
        if (Stride < 1 || Stride > PatchSize) throw new Diagnostics.EmAlignException($"Stride {Stride} is not valid: expected 1..PatchSize ({PatchSize}).", "Stride");
        if (MaxDeltaZ < 1) throw new Diagnostics.EmAlignException($"MaxDeltaZ {MaxDeltaZ} must be at least 1.", "MaxDeltaZ");
        if (RefinePasses is < 0 or > 5) throw new Diagnostics.EmAlignException($"RefinePasses {RefinePasses} is not valid: expected 0 to 5.", "RefinePasses");
        if (BlockLength is < 0 or 1) throw new Diagnostics.EmAlignException($"BlockLength {BlockLength} must be 0 (sequential) or at least 2.", "BlockLength");
    }

    internal FlowOptions FlowOptions => new() { PatchSize = PatchSize, Stride = Stride, Correlation = Correlation, SubPixel = SubPixel };

    internal IntegrationConfig MeshConfig => Mesh with { StrideX = Stride, StrideY = Stride };
}
