using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Volumes;

namespace EmAlign.Mesh;

/// <summary>How the relaxation of one section went (SOFIMA RelaxMesh status codes, spec §6.4).</summary>
public enum MeshSolveStatus
{
    /// <summary>Not relaxed: the first section of a chain or block (kept as the identity), or no usable target.</summary>
    Undefined = -1,

    /// <summary>Relaxed, and the solution has no folded or over-stretched node.</summary>
    Regular = 0,

    /// <summary>The solution was irregular and smoothing did not help; the irregular solution is kept.</summary>
    PrepFailed = 1,

    /// <summary>The solution was irregular; it was smoothed and relaxed again successfully.</summary>
    Regularized = 2,
}

/// <summary>A flow field for the chain: section z of <see cref="Flow"/> takes section z to section z − <see cref="DeltaZ"/>.</summary>
/// <param name="DeltaZ">Distance to the reference section, ≥ 1 (earlier sections are references).</param>
/// <param name="Flow">Per-section relative displacements on the mesh grid, NaN where unknown. Node p of
/// section z matches point p + flow(p) of section z − DeltaZ (spec §1.1: the content at post position p
/// is at pre position p + f).</param>
public sealed record ChainFlow(int DeltaZ, CoordinateMap Flow);

/// <summary>Per-section report of a chain solve.</summary>
public sealed record SectionSolve(int Section, MeshSolveStatus Status, long Steps, double FinalKineticEnergy);

/// <summary>
/// Chain output: <see cref="Solved"/> holds, for every section, the <b>forward</b> map from raw
/// section pixels to the aligned (common) space; invert it (<see cref="CoordinateMaps.Invert"/>) to render.
/// </summary>
public sealed record ChainResult(CoordinateMap Solved, IReadOnlyList<SectionSolve> Sections);

/// <summary>Options of the chain's per-section solve (RelaxMesh, spec §6.4; defaults from em_2d, §6.10).</summary>
public sealed record ChainOptions
{
    /// <summary>Mask irregular target nodes and retry irregular solutions (SOFIMA RelaxMesh behaviour).</summary>
    public bool CheckRegularity { get; init; } = true;

    /// <summary>Smallest allowed node spacing, as a fraction of the stride.</summary>
    public double MeshMinFrac { get; init; } = 0.5;

    /// <summary>Largest allowed node spacing of targets, as a fraction of the stride.</summary>
    public double MeshMaxFrac { get; init; } = 2.0;

    /// <summary>Dilation (nodes) of the irregular-target mask.</summary>
    public int IrregularMaskRadius { get; init; } = 5;

    /// <summary>Blocks solved at once by AlignmentChain.SolveBlocks; −1 = all cores.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// Elastic alignment of a section stack by chaining mesh relaxations (spec §4.8, §4.9, §6.4, §6.6).
/// Input flows give, per section z, where its mesh nodes are found in an earlier section; the chain
/// solves sections in z order, each pulled toward where its matches ended up once the reference
/// section was aligned.
/// </summary>
public static class AlignmentChain
{
    private const int IrregularCheckDilation = 5;

    /// <summary>
    /// Sequential chain (spec §4.8) with the usual single flow (Δz = 1): section 0 is the reference
    /// (identity); for z ≥ 1, target(p) = F_z(p) + solved[z−1](p + F_z(p)) (bilinear,
    /// <see cref="CoordinateMaps.ComposeFast"/>), and solved[z] is relaxed from the identity toward it.
    /// </summary>
    /// <remarks><paramref name="flow"/> is [2][Z][y][x] on the mesh grid (stride = the config's); its section 0 is not used.</remarks>
    public static ChainResult SolveSequential(CoordinateMap flow, IntegrationConfig config, ChainOptions? options = null,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        SolveSequential([new ChainFlow(1, flow)], config, options, progress, cancellationToken);

    /// <summary>
    /// Sequential chain with several flows (e.g. Δz = 1 and 2): each flow whose reference section
    /// exists gives a target, and the targets are averaged per node over the known ones (one spring to
    /// the mean, since Hooke forces add linearly; spec §6.4).
    /// </summary>
    public static ChainResult SolveSequential(IReadOnlyList<ChainFlow> flows, IntegrationConfig config, ChainOptions? options = null,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var grid = CheckFlows(flows, config);
        options ??= new ChainOptions();
        var solved = new CoordinateMap[grid.Sections];
        var reports = new SectionSolve[grid.Sections];
        SolveRange(flows, 0, grid.Sections - 1, firstIsReference: true, config, options, solved, reports, progress, cancellationToken);
        return new ChainResult(OnGrid(grid, solved), reports);
    }

    /// <summary>
    /// Block-parallel chain (spec §4.9 and §6.6): z is split into blocks of <paramref name="blockLength"/>
    /// sections that share their boundary section ([0..L], [L..2L], …, [..Z−1]); the blocks are solved
    /// independently in parallel, each from the identity at its first section. The blocks' last-section
    /// solutions then act as flows between "virtual sections", which a coarse chain relaxes with
    /// <paramref name="crossBlockConfig"/> (weak tether, coarser stride; its first block follows its
    /// flow directly). Finally each block is moved into the common space (ReconcileCrossBlockMaps):
    /// section z of block [z0, z1] gets map(z) = comp(comp(main(z), pre), offset·(z − z0)/(z1 − z0)),
    /// with pre/post the coarse solutions at z0/z1 and offset = comp(comp(pre⁻¹, end⁻¹), post) the
    /// correction that takes the block's end section from its in-block to its cross-block position.
    /// </summary>
    /// <remarks>
    /// Inverses are extrapolated (<see cref="CoordinateMaps.FillMissing"/>) and compositions clamp at
    /// the grid edge, so border nodes stay defined; SOFIMA leaves nodes outside the Delaunay hull
    /// unknown there. The coarse grid covers the fine grid; its stride is crossBlockConfig's.
    /// </remarks>
    public static ChainResult SolveBlocks(IReadOnlyList<ChainFlow> flows, IntegrationConfig config, IntegrationConfig crossBlockConfig,
        int blockLength, ChainOptions? options = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var grid = CheckFlows(flows, config);
        crossBlockConfig.Validate();
        if (blockLength < 2)
            throw new EmAlignException($"Blocks must span at least 2 sections; found blockLength {blockLength}.", nameof(blockLength));
        options ??= new ChainOptions();
        int sections = grid.Sections;
        var ends = new List<int>();
        for (int e = blockLength; e < sections - 1; e += blockLength) ends.Add(e);
        ends.Add(sections - 1);
        if (ends.Count == 1) return SolveSequential(flows, config, options, progress, cancellationToken);
        int blocks = ends.Count;

        // 1. Solve the blocks independently.
        var main = new CoordinateMap[sections];
        var last = new CoordinateMap[blocks];
        var reports = new SectionSolve[sections];
        int done = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0, blocks, parallel, b =>
        {
            int z0 = b == 0 ? 0 : ends[b - 1], z1 = ends[b];
            var solved = new CoordinateMap[z1 - z0 + 1];
            var blockReports = new SectionSolve[z1 - z0 + 1];
            SolveRange(Shift(flows, z0, z1), 0, z1 - z0, firstIsReference: true, config, options, solved, blockReports, null, cancellationToken);
            last[b] = solved[^1];
            // The boundary section z1 belongs to block b; the next block's first section is the same section.
            for (int i = b == 0 ? 0 : 1; i < solved.Length; i++)
            {
                main[z0 + i] = solved[i];
                reports[z0 + i] = blockReports[i] with { Section = z0 + i };
            }
            progress?.Report(new ProgressInfo("Relax mesh", $"block {b + 1} of {blocks}", Interlocked.Increment(ref done), blocks + 1));
        });

        // 2. Coarse cross-block chain over the blocks' end sections.
        var lastStack = CoordinateMap.Stack(last);
        var coarseBox = CoveringBox(grid, crossBlockConfig.StrideX, crossBlockConfig.StrideY);
        var coarseFlow = CoordinateMaps.Resample(lastStack, coarseBox, crossBlockConfig.StrideX, crossBlockConfig.StrideY);
        var coarse = new CoordinateMap[blocks];
        var coarseReports = new SectionSolve[blocks];
        SolveRange([new ChainFlow(1, coarseFlow)], 0, blocks - 1, firstIsReference: false, crossBlockConfig, options, coarse, coarseReports, null, cancellationToken);
        var crossBlock = CoordinateMaps.Resample(CoordinateMap.Stack(coarse), grid.Box, grid.StrideX, grid.StrideY);
        progress?.Report(new ProgressInfo("Relax mesh", "cross-block solve", blocks, blocks + 1));

        // 3. Reconcile every block with the cross-block solution.
        var global = ReconcileBlocks(OnGrid(grid, main), ends, crossBlock, options.MaxDegreeOfParallelism);
        progress?.Report(new ProgressInfo("Relax mesh", "reconciled", blocks + 1, blocks + 1));
        return new ChainResult(global, reports);
    }

    /// <summary>
    /// Moves blockwise solutions into one common space (SOFIMA ReconcileCrossBlockMaps, forward mode,
    /// spec §6.6). Block b spans sections [z0, z1] with z0 = the previous end (0 for the first block)
    /// and z1 = <paramref name="blockEnds"/>[b]; <paramref name="main"/> holds each section's forward
    /// map in its block's frame (the frame of raw section z0), and at z1 block b's own solution of its
    /// end section. <paramref name="crossBlock"/> section b is the cross-block forward map of section
    /// z1 of block b (from raw section z1 to the common space), on main's grid. Section z of block b
    /// becomes comp(comp(main(z), pre), offset·(z − z0)/(z1 − z0)), with pre = crossBlock(b − 1) (the
    /// identity for b = 0), z1 becomes crossBlock(b), and offset = comp(comp(pre⁻¹, main(z1)⁻¹),
    /// crossBlock(b)). Nodes unknown in main stay unknown.
    /// </summary>
    public static CoordinateMap ReconcileBlocks(CoordinateMap main, IReadOnlyList<int> blockEnds, CoordinateMap crossBlock, int maxDegreeOfParallelism = -1)
    {
        if (blockEnds.Count == 0 || blockEnds[^1] != main.Sections - 1 || blockEnds.Zip(blockEnds.Skip(1)).Any(p => p.Second <= p.First) || blockEnds[0] < 1)
            throw new EmAlignException($"Block ends must rise strictly from >= 1 to the last section ({main.Sections - 1}); found [{string.Join(", ", blockEnds)}].", nameof(blockEnds));
        if (crossBlock.Sections != blockEnds.Count || crossBlock.Width != main.Width || crossBlock.Height != main.Height)
            throw new EmAlignException($"The cross-block map needs one section per block ({blockEnds.Count}) on the main grid {main.Width}x{main.Height}; found {crossBlock.Sections} sections of {crossBlock.Width}x{crossBlock.Height}.", nameof(crossBlock));
        var box = main.Box with { Z = 0, SizeZ = 1 };
        var result = new CoordinateMap(main.Box, main.StrideX, main.StrideY);
        Parallel.For(0, blockEnds.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, b =>
        {
            int z0 = b == 0 ? 0 : blockEnds[b - 1], z1 = blockEnds[b];
            var post = Single(crossBlock, b, box, main);
            var pre = b == 0 ? new CoordinateMap(box, main.StrideX, main.StrideY) : Single(crossBlock, b - 1, box, main);
            var end = Single(main, z1, box, main);
            var preInverse = b == 0 ? pre : CoordinateMaps.FillMissing(CoordinateMaps.Invert(pre, box), extrapolate: true);
            var endInverse = CoordinateMaps.FillMissing(CoordinateMaps.Invert(end, box), extrapolate: true);
            var offset = CoordinateMaps.ComposeFast(CoordinateMaps.ComposeFast(preInverse, endInverse), post);
            if (b == 0) result.SetSection(0, pre);
            for (int z = z0 + 1; z < z1; z++)
            {
                var section = Single(main, z, box, main);
                var ramp = offset.Clone().Scale((float)(z - z0) / (z1 - z0));
                result.SetSection(z, KeepUnknown(CoordinateMaps.ComposeFast(CoordinateMaps.ComposeFast(section, pre), ramp), section));
            }
            result.SetSection(z1, KeepUnknown(post, end));
        });
        return result;
    }

    /// <summary>Section <paramref name="z"/> of <paramref name="map"/> as a one-section map on <paramref name="box"/> with the grid's strides.</summary>
    private static CoordinateMap Single(CoordinateMap map, int z, Box3 box, CoordinateMap grid) =>
        new(box, grid.StrideX, grid.StrideY, map.GetSections(z, 1).Data);

    /// <summary>Single-flow convenience overload of <see cref="SolveBlocks(IReadOnlyList{ChainFlow}, IntegrationConfig, IntegrationConfig, int, ChainOptions?, IProgress{ProgressInfo}?, CancellationToken)"/>.</summary>
    public static ChainResult SolveBlocks(CoordinateMap flow, IntegrationConfig config, IntegrationConfig crossBlockConfig, int blockLength,
        ChainOptions? options = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        SolveBlocks([new ChainFlow(1, flow)], config, crossBlockConfig, blockLength, options, progress, cancellationToken);

    /// <summary>
    /// Relaxes one section toward <paramref name="target"/> from the identity, with SOFIMA RelaxMesh's
    /// regularity handling (spec §6.4): irregular target nodes are dropped first; an irregular result
    /// is smoothed by relaxing toward itself (irregular nodes removed, k0/10) and relaxed again.
    /// </summary>
    public static (CoordinateMap Solution, SectionSolve Report) SolveSection(CoordinateMap target, IntegrationConfig config, ChainOptions? options = null,
        int section = 0, CancellationToken cancellationToken = default)
    {
        options ??= new ChainOptions();
        var prev = target.Clone();
        if (options.CheckRegularity)
            CoordinateMaps.MaskIrregular(prev, options.MeshMinFrac, options.MeshMaxFrac, options.IrregularMaskRadius);
        var zero = new CoordinateMap(target.Box, target.StrideX, target.StrideY);
        if (!AnyValid(prev))
            return (zero, new SectionSolve(section, MeshSolveStatus.Undefined, 0, 0));

        var first = MeshRelaxer.Relax(zero, prev, config, cancellationToken);
        if (!options.CheckRegularity || !AnyIrregular(first.Positions, options.MeshMinFrac))
            return (first.Positions, Report(section, MeshSolveStatus.Regular, first));

        var smoothingTarget = first.Positions.Clone();
        CoordinateMaps.MaskIrregular(smoothingTarget, options.MeshMinFrac, null, IrregularCheckDilation);
        var smooth = MeshRelaxer.Relax(zero, smoothingTarget, config with { K0 = config.K0 / 10 }, cancellationToken);
        if (AnyIrregular(smooth.Positions, options.MeshMinFrac))
            return (first.Positions, Report(section, MeshSolveStatus.PrepFailed, first, smooth.Steps));
        var final = MeshRelaxer.Relax(smooth.Positions, prev, config, cancellationToken);
        return (final.Positions, Report(section, MeshSolveStatus.Regularized, final, first.Steps + smooth.Steps));
    }

    private static SectionSolve Report(int section, MeshSolveStatus status, MeshRelaxResult run, long extraSteps = 0) =>
        new(section, status, run.Steps + extraSteps, run.KineticEnergy.Count > 0 ? run.KineticEnergy[^1] : 0);

    /// <summary>
    /// Solves sections <paramref name="z0"/>..<paramref name="z1"/> in order into <paramref name="solved"/>
    /// (indexed from z0). With <paramref name="firstIsReference"/> section z0 is the identity; otherwise
    /// sections before z0 count as the identity, so z0 follows its flow directly.
    /// </summary>
    private static void SolveRange(IReadOnlyList<ChainFlow> flows, int z0, int z1, bool firstIsReference, IntegrationConfig config,
        ChainOptions options, CoordinateMap[] solved, SectionSolve[] reports, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var grid = flows[0].Flow;
        var box = grid.Box with { Z = 0, SizeZ = 1 };
        for (int z = z0; z <= z1; z++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int local = z - z0;
            CoordinateMap? target = null;
            if (!(firstIsReference && z == z0))
                target = AverageTargets(flows, z, z0, solved, box, grid.StrideX, grid.StrideY);
            if (target is null)
            {
                // No reference: the first section stays where it is; a later section without any usable
                // flow keeps its predecessor's solution (no evidence of motion).
                solved[local] = local > 0 ? solved[local - 1].Clone() : new CoordinateMap(box, grid.StrideX, grid.StrideY);
                reports[local] = new SectionSolve(z, MeshSolveStatus.Undefined, 0, 0);
            }
            else
            {
                var (solution, report) = SolveSection(target, config, options, z, cancellationToken);
                if (report.Status == MeshSolveStatus.Undefined && local > 0) solution = solved[local - 1].Clone();
                solved[local] = solution;
                reports[local] = report;
            }
            progress?.Report(new ProgressInfo("Relax mesh", $"section {z}", local + 1, z1 - z0 + 1));
        }
    }

    /// <summary>The per-node mean of the targets from every flow whose reference is solved (or implicit identity).</summary>
    private static CoordinateMap? AverageTargets(IReadOnlyList<ChainFlow> flows, int z, int z0, CoordinateMap[] solved, Box3 box, double sx, double sy)
    {
        CoordinateMap? sum = null;
        int[]? count = null;
        foreach (var flow in flows)
        {
            int reference = z - flow.DeltaZ;
            var section = flow.Flow.GetSections(z, 1);
            section = new CoordinateMap(box, sx, sy, section.Data);
            CoordinateMap candidate;
            if (reference >= z0) candidate = CoordinateMaps.ComposeFast(section, solved[reference - z0]);
            else if (z == z0) candidate = section; // implicit identity before the range
            else continue;
            if (sum is null)
            {
                sum = new CoordinateMap(box, sx, sy);
                count = new int[sum.PlaneLength];
            }
            var cx = candidate.Dx(0);
            var cy = candidate.Dy(0);
            var so = sum.Dx(0);
            var sp = sum.Dy(0);
            for (int k = 0; k < cx.Length; k++)
            {
                if (!float.IsFinite(cx[k]) || !float.IsFinite(cy[k])) continue;
                so[k] += cx[k];
                sp[k] += cy[k];
                count![k]++;
            }
        }
        if (sum is null) return null;
        var dx = sum.Dx(0);
        var dy = sum.Dy(0);
        for (int k = 0; k < dx.Length; k++)
        {
            dx[k] = count![k] > 0 ? dx[k] / count[k] : float.NaN;
            dy[k] = count[k] > 0 ? dy[k] / count[k] : float.NaN;
        }
        return sum;
    }

    private static CoordinateMap CheckFlows(IReadOnlyList<ChainFlow> flows, IntegrationConfig config)
    {
        config.Validate();
        if (flows.Count == 0) throw new EmAlignException("The chain needs at least one flow.", "flows");
        var grid = flows[0].Flow;
        foreach (var flow in flows)
        {
            if (flow.DeltaZ < 1)
                throw new EmAlignException($"Flow Δz must be >= 1 (the reference is an earlier section); found {flow.DeltaZ}.", "flows");
            if (!flow.Flow.SameGrid(grid))
                throw new EmAlignException($"All flows must share one grid; found {flow.Flow.Box} at stride {flow.Flow.StrideX} and {grid.Box} at stride {grid.StrideX}.", "flows");
        }
        if (Math.Abs(grid.StrideX - config.StrideX) > 1e-9 * config.StrideX || Math.Abs(grid.StrideY - config.StrideY) > 1e-9 * config.StrideY)
            throw new EmAlignException($"The flows are on a {grid.StrideX}x{grid.StrideY} px grid but IntegrationConfig.Stride is {config.StrideX}x{config.StrideY}; they must match.", "config");
        return grid;
    }

    /// <summary>The flows restricted to sections z0..z1 (renumbered from 0).</summary>
    private static IReadOnlyList<ChainFlow> Shift(IReadOnlyList<ChainFlow> flows, int z0, int z1) =>
        flows.Select(f => f with { Flow = f.Flow.GetSections(z0, z1 - z0 + 1) }).ToArray();

    /// <summary>The node box at the given stride that covers the pixel extent of <paramref name="grid"/>'s nodes.</summary>
    private static Box3 CoveringBox(CoordinateMap grid, double strideX, double strideY)
    {
        long x0 = (long)Math.Floor(grid.NodeX(0) / strideX), x1 = (long)Math.Ceiling(grid.NodeX(grid.Width - 1) / strideX);
        long y0 = (long)Math.Floor(grid.NodeY(0) / strideY), y1 = (long)Math.Ceiling(grid.NodeY(grid.Height - 1) / strideY);
        return new Box3(x0, y0, 0, x1 - x0 + 1, y1 - y0 + 1, grid.Sections);
    }

    /// <summary>Stacks single-section solutions into a map on the flows' grid (same box, sections included).</summary>
    private static CoordinateMap OnGrid(CoordinateMap grid, CoordinateMap[] sections)
    {
        var result = new CoordinateMap(grid.Box, grid.StrideX, grid.StrideY);
        for (int z = 0; z < sections.Length; z++) result.SetSection(z, sections[z]);
        return result;
    }

    private static CoordinateMap KeepUnknown(CoordinateMap map, CoordinateMap mask)
    {
        var result = map.Clone();
        var mx = mask.Dx(0);
        var my = mask.Dy(0);
        var dx = result.Dx(0);
        var dy = result.Dy(0);
        for (int k = 0; k < dx.Length; k++)
        {
            if (float.IsFinite(mx[k]) && float.IsFinite(my[k])) continue;
            dx[k] = float.NaN;
            dy[k] = float.NaN;
        }
        return result;
    }

    private static bool AnyValid(CoordinateMap map)
    {
        for (int z = 0; z < map.Sections; z++)
            if (map.HasValidNode(z)) return true;
        return false;
    }

    private static bool AnyIrregular(CoordinateMap solution, double minFrac) =>
        Array.IndexOf(CoordinateMaps.FindIrregular(solution, minFrac, null, 0), true) >= 0;
}
