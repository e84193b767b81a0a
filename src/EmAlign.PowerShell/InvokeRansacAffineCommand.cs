using System.Management.Automation;
using EmAlign.FrontEnds;
using EmAlign.Features;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// Invoke-RansacAffine: bigstream's feature-point affine (LoG blobs, neighbourhood correlation, RANSAC) from the fixed
/// to the moving volume, in physical units; with -BlockSize one affine per block, blended (piecewise). Writes the
/// transform, which Export-WarpedVolume and -InitialTransform take. It computes in memory and writes no file.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "RansacAffine")]
[OutputType(typeof(AffineTransform3D), typeof(LocalAffineTransform))]
public sealed class InvokeRansacAffineCommand : EmCmdlet
{
    private const int ActivityId = 0x52_61; // "Ra"

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public VolumeView? Fixed { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public VolumeView? Moving { get; set; }

    [Parameter]
    [ValidateRange(0.1, 10000.0)]
    public double MinRadius { get; set; } = 6;

    [Parameter]
    [ValidateRange(0.1, 10000.0)]
    public double MaxRadius { get; set; } = 20;

    [Parameter]
    [ValidateRange(-1.0, 1.0)]
    public double MatchThreshold { get; set; } = 0.75;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int CcRadius { get; set; } = 12;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int NSpots { get; set; } = 5000;

    [Parameter]
    [ValidateRange(1e-9, 1e9)]
    public double AlignThreshold { get; set; } = 2.0;

    [Parameter]
    public int Seed { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MinSpots { get; set; } = 100;

    [Parameter]
    [ValidateRange(4, int.MaxValue)]
    public int MinMatches { get; set; } = 50;

    [Parameter]
    [ValidateCount(1, 3)]
    public int[]? BlockSize { get; set; }

    [Parameter]
    [ValidateRange(0.0, 0.5)]
    public double Overlap { get; set; } = 0.5;

    [Parameter]
    public SpatialTransform[]? InitialTransform { get; set; }

    protected override void ProcessRecord()
    {
        if (Fixed is not { } fix || Moving is not { } mov) return;
        ForInput(mov, () =>
        {
            var options = FeatureCommands.Options(MinRadius, MaxRadius, MatchThreshold, CcRadius, NSpots, AlignThreshold, Seed, MinSpots, MinMatches);
            var piecewise = FeatureCommands.Piecewise(BlockSize, Overlap, options);
            var initial = FeatureCommands.Initial(InitialTransform);
            if (piecewise is null)
            {
                var r = RunEngine(ActivityId, (progress, ct) => FeatureAffine.Align(fix, mov, options, initial, progress, ct));
                WriteVerbose(FeatureCommands.Describe(r));
                WriteObject(r.Transform);
            }
            else
            {
                var r = RunEngine(ActivityId, (progress, ct) => PiecewiseAffine.Align(fix, mov, piecewise, initial, progress, ct));
                foreach (var line in FeatureCommands.Describe(r)) WriteVerbose(line);
                WriteObject(r.Transform);
            }
        });
    }
}
