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
public sealed class MeshSolution
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

    /// <summary>Largest 95th-percentile residual over the sections, working-level pixels.</summary>
    public double WorstResidual => Residuals.Where(r => !double.IsNaN(r.P95)).Select(r => r.P95).DefaultIfEmpty(0).Max();

    public override string ToString() => $"MeshSolution: {Sections} sections, stride {Stride}, worst p95 residual {WorstResidual:0.00} px, of {SourcePath}";
}
