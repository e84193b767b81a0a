using EmAlign.Volumes;

namespace EmAlign.Alignment;

/// <summary>Everything one elastic alignment run produced.</summary>
public sealed record ElasticAlignmentResult(FlowFieldSet Flows, MeshSolution Solution, RenderResult Render, TimeSpan Elapsed);

/// <summary>
/// The whole SOFIMA-style workflow in one call (the engine of `emalign align-elastic`): flows at every level,
/// cleaned and merged, the elastic mesh chain (refined RefinePasses times), inverse maps, and chunked rendering at full resolution.
/// </summary>
public static class ElasticAlignment
{
    public static ElasticAlignmentResult Run(VolumeView view, string destination, ElasticAlignmentOptions options, RenderOptions render,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        options.Validate();
        StackFlow.RequireSections(view);
        // Refuse an existing or overlapping output now rather than after minutes of flow and mesh work.
        AtomicOutput.CheckDestination(destination, render.Force, Path.Combine(view.Volume.Path, view.Volume.Dataset));
        var measured = StackFlow.Measure(view, options, progress, ct);
        var merged = StackFlow.Merge(StackFlow.Clean(measured, options.Clean), options.Reconcile);
        var solution = StackMesh.Relax(merged, options, progress, ct);
        for (int pass = 0; pass < options.RefinePasses; pass++) solution = StackMesh.Refine(view, solution, options, progress, ct);
        var result = AlignedRenderer.Render(view.Volume, solution, destination, render, progress, ct);
        return new ElasticAlignmentResult(merged, solution, result, clock.Elapsed);
    }
}
