using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Flow;

/// <summary>Settings of <see cref="FlowStack.EstimateMissing"/> (SOFIMA EstimateMissingFlow; defaults from em_2d).</summary>
public sealed record MissingFlowOptions
{
    /// <summary>Post patch size; the pre patch is PatchSize + 2 SearchRadius. Both must be multiples of <see cref="Stride"/>.</summary>
    public int PatchSize { get; init; } = 160;

    public int Stride { get; init; } = 40;

    /// <summary>Extra margin of the pre patch on each side, pixels.</summary>
    public int SearchRadius { get; init; }

    /// <summary>The section offset of the input flows; further references are tried from DeltaZ + 1 (or - 1 when negative).</summary>
    public int DeltaZ { get; init; } = 1;

    /// <summary>Largest |dz| tried.</summary>
    public int MaxDeltaZ { get; init; } = 4;

    /// <summary>A node stays eligible while the number of finite vectors measured for it is at most this.</summary>
    public int MaxAttempts { get; init; } = 2;

    public double MinPeakRatio { get; init; } = 1.6;
    public double MinPeakSharpness { get; init; } = 1.6;
    public double MaxMagnitude { get; init; } = 40;

    /// <summary>Estimator settings other than patch sizes and stride (correlation mode, peaks, parallelism).</summary>
    public FlowOptions Flow { get; init; } = new();
}

/// <summary>
/// Flow for whole stacks of sections (SOFIMA's EstimateFlow and EstimateMissingFlow processors, in memory).
/// Flows are returned on the mesh-node grid (<see cref="FlowField.PadToNodeGrid"/>): node j at pixel
/// j S + (Q/2 mod S), covering the section. Flow index z holds the flow of section z to section z - dz.
/// </summary>
public static class FlowStack
{
    /// <summary>
    /// Flow of every section z to z - <paramref name="deltaZ"/> (deltaZ &lt; 0: to a later section); null where
    /// that reference is outside the stack. Masks (true = invalid pixel) select patches, as
    /// <see cref="FlowInputs.PreMask"/> / <see cref="FlowInputs.PostMask"/>.
    /// </summary>
    public static FlowField?[] EstimateFlows(IReadOnlyList<Image2D<float>> sections, FlowOptions? options = null, int deltaZ = 1,
        IReadOnlyList<Image2D<bool>?>? masks = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (deltaZ == 0) throw new ArgumentOutOfRangeException(nameof(deltaZ), deltaZ, "deltaZ must not be 0.");
        CheckMasks(sections, masks);
        options ??= new FlowOptions();
        var result = new FlowField?[sections.Count];
        for (int z = 0; z < sections.Count; z++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int r = z - deltaZ;
            if (r < 0 || r >= sections.Count) continue;
            var post = sections[z];
            var inputs = new FlowInputs { PreMask = masks?[r], PostMask = masks?[z] };
            result[z] = FlowEstimator.Estimate(sections[r], post, options, inputs, null, cancellationToken).PadToNodeGrid(post.Width, post.Height);
            progress?.Report(new ProgressInfo("Estimating flow", $"section {z}", z + 1, sections.Count));
        }
        return result;
    }

    /// <summary>
    /// Fills invalid vectors of per-section flows by correlating with references further away
    /// (dz = DeltaZ + 1 ... MaxDeltaZ), stopping at the end of the stack. New vectors must pass the peak ratio,
    /// sharpness and magnitude tests. Returns [dx, dy, dz] flows (dz = the offset used; DeltaZ where nothing
    /// changed, also on still-invalid nodes), null where the input is null. Inputs are <see cref="FlowLayout.Vectors"/>
    /// or <see cref="FlowLayout.VectorsStats"/> fields on the node grid of this patch size and stride.
    /// </summary>
    public static FlowField?[] EstimateMissing(IReadOnlyList<Image2D<float>> sections, IReadOnlyList<FlowField?> flows, MissingFlowOptions? options = null,
        IReadOnlyList<Image2D<bool>?>? masks = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(flows);
        options ??= new MissingFlowOptions();
        if (flows.Count != sections.Count) throw new ArgumentException($"One flow per section is needed: {flows.Count} flows for {sections.Count} sections.", nameof(flows));
        if (options.DeltaZ == 0) throw new ArgumentOutOfRangeException(nameof(options), "DeltaZ must not be 0.");
        if (options.SearchRadius < 0) throw new ArgumentOutOfRangeException(nameof(options), "SearchRadius must not be negative.");
        int s = options.Stride, q = options.PatchSize, p = q + 2 * options.SearchRadius;
        if (q % s != 0 || p % s != 0)
            throw new ArgumentException($"PatchSize {q} and PatchSize + 2 SearchRadius = {p} must be multiples of Stride {s}.", nameof(options));
        CheckMasks(sections, masks);
        var flowOptions = options.Flow with { PatchSize = p, PostPatchSize = q, Stride = s };
        flowOptions.Validate();
        var clean = new FlowCleanOptions { MinPeakRatio = options.MinPeakRatio, MinPeakSharpness = options.MinPeakSharpness, MaxMagnitude = options.MaxMagnitude, MaxDeviation = 0 };
        int sign = Math.Sign(options.DeltaZ);

        var result = new FlowField?[sections.Count];
        for (int z = 0; z < sections.Count; z++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var input = flows[z];
            if (input is null) continue;
            if (input.Layout is not (FlowLayout.Vectors or FlowLayout.VectorsStats))
                throw new ArgumentException($"Flow {z} must be Vectors or VectorsStats; got {input.Layout}.", nameof(flows));
            var post = sections[z];
            var output = input.CreateInvalidLike(FlowLayout.VectorsDeltaZ);
            int n = output.NodeCount;
            Array.Copy(input.Data, output.Data, 2 * n);
            Array.Fill(output.Data, options.DeltaZ, 2 * n, n);
            result[z] = output;

            var (rawW, rawH) = FlowEstimator.GridSize(post.Width, post.Height, flowOptions);
            int rx = (q / 2) % s, before = (q / 2 - rx) / s;
            if (input.Stride != s || input.OriginX != rx || input.OriginY != rx)
                throw new ArgumentException($"Flow {z} ({input}) is not on the node grid of patch {q} / stride {s} (origin {rx}).", nameof(flows));
            var attempts = new int[n];
            for (int dz = options.DeltaZ + sign; Math.Abs(dz) <= options.MaxDeltaZ; dz += sign)
            {
                int r = z - dz;
                if (r < 0 || r >= sections.Count) break;
                var selection = new Image2D<bool>(rawW, rawH);
                bool any = false;
                for (int i = 0; i < rawH; i++)
                    for (int j = 0; j < rawW; j++)
                    {
                        int y = i + before, x = j + before;
                        if (y >= input.Height || x >= input.Width) continue;
                        int e = y * input.Width + x;
                        if (float.IsNaN(output.Data[e]) && attempts[e] <= options.MaxAttempts) any = selection[i, j] = true;
                    }
                if (!any) break;
                var inputs = new FlowInputs { Selection = selection, PreMask = masks?[r], PostMask = masks?[z] };
                var measured = FlowEstimator.Estimate(sections[r], post, flowOptions, inputs, null, cancellationToken)
                    .PadToNodeGrid(post.Width, post.Height, input.Width, input.Height);
                for (int e = 0; e < n; e++)
                    if (float.IsFinite(measured.Data[e])) attempts[e]++;
                var accepted = FlowCleaner.Clean(measured, clean);
                for (int e = 0; e < n; e++)
                {
                    if (!float.IsNaN(output.Data[e]) || float.IsNaN(accepted.Data[e]) || float.IsNaN(accepted.Data[n + e])) continue;
                    output.Data[e] = accepted.Data[e];
                    output.Data[n + e] = accepted.Data[n + e];
                    output.Data[2 * n + e] = dz;
                }
            }
            progress?.Report(new ProgressInfo("Estimating missing flow", $"section {z}", z + 1, sections.Count));
        }
        return result;
    }

    private static void CheckMasks(IReadOnlyList<Image2D<float>> sections, IReadOnlyList<Image2D<bool>?>? masks)
    {
        if (masks is not null && masks.Count != sections.Count)
            throw new ArgumentException($"One mask (or null) per section is needed: {masks.Count} masks for {sections.Count} sections.", nameof(masks));
    }
}
