using EmAlign.Flow;

namespace EmAlign.Alignment;

/// <summary>What has been done to a <see cref="FlowFieldSet"/>.</summary>
public enum FlowSetState
{
    /// <summary>As measured: [dx, dy, sharpness, peak ratio] per level.</summary>
    Measured,

    /// <summary>clean_flow applied to every level.</summary>
    Cleaned,

    /// <summary>Levels reconciled into one [dx, dy] flow per section on the finest grid.</summary>
    Merged,
}

/// <summary>
/// The flow fields of a section stack: for every section z (but the first) and every level, the flow from
/// section z to its reference section z - DeltaZ(z), on that level's node grid (node j at level pixel
/// j * Stride * factor from the region start). Sign: content at node p of section z is found at p + (dx, dy)
/// in the reference section; vectors are in pixels of the level they were measured on.
/// </summary>
public sealed class FlowFieldSet : IAlignmentState
{
    private readonly FlowField?[][] _flows;
    private readonly int[] _deltaZ;
    private readonly double[] _nccBefore;

    public FlowFieldSet(StackRegion region, int patchSize, IReadOnlyList<int> factors, FlowField?[][] flows, int[] deltaZ, double[] nccBefore, FlowSetState state)
    {
        if (flows.Length != factors.Count) throw new ArgumentException("One flow list per level is expected.", nameof(flows));
        if (deltaZ.Length != region.Sections || nccBefore.Length != region.Sections || flows.Any(f => f.Length != region.Sections))
            throw new ArgumentException($"Per-section lists must have {region.Sections} entries.", nameof(deltaZ));
        Region = region;
        PatchSize = patchSize;
        Factors = [.. factors];
        _flows = flows;
        _deltaZ = deltaZ;
        _nccBefore = nccBefore;
        State = state;
    }

    public StackRegion Region { get; }

    /// <summary>Source volume the flows were measured on.</summary>
    public string SourcePath => Region.SourcePath;

    public int PatchSize { get; }

    /// <summary>Node spacing in pixels of each level.</summary>
    public int Stride => Region.Stride;

    /// <summary>Downsampling factor of each level relative to the working level, finest first.</summary>
    public IReadOnlyList<int> Factors { get; }

    public int Sections => Region.Sections;

    public FlowSetState State { get; }

    /// <summary>Reference offset per section: section z was compared with z - DeltaZ[z] (0 for the first section).</summary>
    public IReadOnlyList<int> DeltaZ => _deltaZ;

    /// <summary>Normalised cross-correlation of each section with its predecessor before alignment (NaN for the first).</summary>
    public IReadOnlyList<double> NccBefore => _nccBefore;

    /// <summary>Sections whose flow kept fewer valid vectors than the rest would suggest are listed by the quality report; this counts valid vectors.</summary>
    public int ValidCount(int level, int z) => _flows[level][z]?.ValidCount ?? 0;

    /// <summary>Nodes of the grid of <paramref name="level"/>.</summary>
    public int NodeCount(int level) => _flows[level].FirstOrDefault(f => f is not null)?.NodeCount ?? 0;

    /// <summary>The flow of section <paramref name="z"/> at level index <paramref name="level"/>; null for the first section.</summary>
    public FlowField? GetFlow(int level, int z) => _flows[level][z];

    internal FlowField?[][] Flows => _flows;

    internal double[] NccBeforeArray => _nccBefore;

    internal int[] DeltaZArray => _deltaZ;

    public override string ToString() => $"FlowFieldSet {State}: {Sections} sections, levels {string.Join(",", Factors)}, patch {PatchSize}, stride {Stride} of {SourcePath}";
}
