using EmAlign.Maps;
using EmAlign.Mesh;

namespace EmAlign.Alignment;

/// <summary>How well the relaxed mesh of one section follows its flow: residuals in working-level pixels.</summary>
public sealed record SectionResidual(int Z, int DeltaZ, int ValidVectors, double Median, double P95, double Max, MeshSolveStatus Status);

/// <summary>
/// The solved elastic alignment of a stack: per section a <see cref="Forward"/> map (raw section pixels to aligned
/// space, section 0 = reference, identity) and its <see cref="Inverse"/> (aligned output pixel to the raw section
/// position to sample: fixed to moving, what rendering uses), both relative maps on the node grid of
/// <see cref="Region"/> (node j at working-level pixel Region.X + j * Stride), vectors in working-level pixels.
/// </summary>
public sealed class MeshSolution : IAlignmentState
{
    public MeshSolution(StackRegion region, CoordinateMap forward, CoordinateMap inverse, IReadOnlyList<SectionResidual> residuals, IReadOnlyList<double> nccBefore)
    {
        Region = region;
        Forward = forward;
        Inverse = inverse;
        Residuals = residuals;
        NccBefore = nccBefore;
    }

    public StackRegion Region { get; }

    public string SourcePath => Region.SourcePath;

    public int Sections => Region.Sections;

    public int Stride => Region.Stride;

    /// <summary>Raw to aligned, per section.</summary>
    public CoordinateMap Forward { get; }

    /// <summary>Aligned to raw, per section (fixed to moving); defined on every node (extrapolated beyond the mesh).</summary>
    public CoordinateMap Inverse { get; }

    public IReadOnlyList<SectionResidual> Residuals { get; }

    /// <summary>Neighbour NCC before alignment, carried from the flows for the quality report.</summary>
    public IReadOnlyList<double> NccBefore { get; }

    /// <summary>Default of the p95 residual (working-level pixels) above which a section may be flagged "large-residual".</summary>
    public const double DefaultMaxResidual = 2;

    /// <summary>
    /// A section is flagged "large-residual" only when its p95 residual is also this many times the stack's median p95:
    /// on real EM every section's mesh departs from its noisy flows by a few pixels (p95 3-5 px on the ssTEM stack),
    /// and a flag on every section would hide the one that failed.
    /// </summary>
    public const double ResidualOutlierFactor = 3;

    /// <summary>Default fraction of the median section's flow vectors below which a section is flagged "few-flow-vectors".</summary>
    public const double DefaultMinValidFraction = 0.25;

    private int? _medianVectors;
    private double? _medianP95;

    /// <summary>
    /// The quality of section <paramref name="z"/> as the solve leaves it: flow vectors, residuals (working-level pixels),
    /// neighbour NCC before alignment and <paramref name="nccAfter"/> (NaN when not rendered), and a status:
    /// "reference" (section 0), "few-flow-vectors" (none, or fewer than <paramref name="minValidFraction"/> of the median
    /// section's vectors), "large-residual" (p95 above <paramref name="maxResidual"/> and above <see cref="ResidualOutlierFactor"/>
    /// times the stack's median p95), "ok-skipped-previous" (aligned to a section
    /// further back, its predecessor being unusable) or "ok".
    /// </summary>
    public SectionQuality Assess(int z, double nccAfter, double maxResidual = DefaultMaxResidual, double minValidFraction = DefaultMinValidFraction)
    {
        var r = Residuals[z];
        double before = z < NccBefore.Count ? NccBefore[z] : double.NaN;
        if (z == 0) return new SectionQuality(0, 0, 0, double.NaN, double.NaN, before, nccAfter, "reference");
        _medianVectors ??= MedianVectors();
        _medianP95 ??= MedianP95();
        // No vector at all is a failure even when the whole stack failed alike (the median is then 0 too).
        string status = r.ValidVectors == 0 || r.ValidVectors < minValidFraction * _medianVectors.Value ? "few-flow-vectors"
            : r.P95 > maxResidual && !(r.P95 <= ResidualOutlierFactor * _medianP95.Value) ? "large-residual"
            : r.DeltaZ > 1 ? "ok-skipped-previous"
            : "ok";
        return new SectionQuality(z, r.DeltaZ, r.ValidVectors, r.Median, r.P95, before, nccAfter, status);
    }

    /// <summary>The quality of every section without rendering (NCC after alignment is NaN); see <see cref="Assess(int, double, double, double)"/>.</summary>
    public IReadOnlyList<SectionQuality> Assess(double maxResidual = DefaultMaxResidual, double minValidFraction = DefaultMinValidFraction) =>
        [.. Enumerable.Range(0, Sections).Select(z => Assess(z, double.NaN, maxResidual, minValidFraction))];

    private int MedianVectors()
    {
        var counts = Residuals.Skip(1).Select(r => r.ValidVectors).Order().ToArray();
        return counts.Length == 0 ? 0 : counts[counts.Length / 2];
    }

    private double MedianP95()
    {
        var p95 = Residuals.Skip(1).Select(r => r.P95).Where(v => !double.IsNaN(v)).Order().ToArray();
        return p95.Length == 0 ? double.NaN : p95[p95.Length / 2];
    }

    /// <summary>Largest 95th-percentile residual over the sections, working-level pixels.</summary>
    public double WorstResidual => Residuals.Where(r => !double.IsNaN(r.P95)).Select(r => r.P95).DefaultIfEmpty(0).Max();

    public override string ToString() => $"MeshSolution: {Sections} sections, stride {Stride}, worst p95 residual {WorstResidual:0.00} px, of {SourcePath}";
}
