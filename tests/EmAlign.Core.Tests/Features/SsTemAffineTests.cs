using System.Diagnostics;
using EmAlign.Features;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Transforms;
using EmAlign.Volumes;
using Xunit.Abstractions;

namespace EmAlign.Tests.Features;

/// <summary>The real ssTEM stack (20 x 1024 x 1024 uint8) as a 3D volume at 4.6 x 4.6 x 50 nm under a known affine.</summary>
public class SsTemAffineTests(ITestOutputHelper output)
{
    [SsTemFact]
    public void RecoversAKnownAffineOnRealEm()
    {
        using var raw = VolumeFormats.Open(SharedData.SsTemRaw);
        // The TIFFs carry no calibration; this is the stack's published voxel size. The handle shares raw's arrays.
        var fix = new EmVolume(raw.Path, raw.Format, raw.Dataset, raw.Levels, new VoxelSize(4.6, 4.6, 50, "nanometer"), raw.Cache);
        var grid = VoxelGrid.Of(fix);
        // In-plane rotation of 3 degrees about the centre, 1.5 % / -1 % scale, 1 % shear, (9, -6) pixel and 0.3 slice shifts.
        var truth = SyntheticBlobs.KnownAffine(grid, rotZ: 3, rotX: 0, scale: (1.015, 0.99, 1.0), shearXY: 0.01, translation: (9 * 4.6, -6 * 4.6, 0.3 * 50));
        var sw = Stopwatch.StartNew();
        // moving = fixed ∘ T⁻¹, so that moving(T(x)) = fixed(x): T is the fixed → moving map to recover.
        var warped = Resampler.Resample(fix, 0, truth.Inverse(), grid, Interpolation.Cubic);
        var bytes = new byte[warped.Length];
        VoxelConvert.FromSingle(warped, DataType.UInt8, bytes);
        using var mov = new EmVolume("moving", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt8, [20, 1024, 1024], [20, 256, 256]))], fix.VoxelSize);
        mov.Write<byte>(0, mov.Bounds, bytes);
        output.WriteLine($"warped in {sw.Elapsed.TotalSeconds:0.0} s");

        sw.Restart();
        var result = FeatureAffine.Align(new VolumeView(fix), new VolumeView(mov), new FeatureAlignOptions
        {
            AlignThreshold = 0.02, // 20 nm, about 4 pixels
        });
        var error = TransformDistance.Measure(result.Transform, truth, grid, step: 8);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:0.0} s: spots {result.FixedSpots}/{result.MovingSpots}, matches {result.Matches}, inliers {result.Inliers}, rms {result.RmsResidual:0.00} nm, {error}");
        output.WriteLine(result.Transform.ToString());
        output.WriteLine(truth.ToString());
        Assert.True(error.MeanX < 0.5 && error.MeanY < 0.5, $"x/y error {error}");
    }
}
