using System.Buffers;
using EmAlign.Geometry;

namespace EmAlign.Maps;

/// <summary>How <see cref="CoordinateMaps.Resample"/> interpolates between source nodes.</summary>
public enum ResampleMethod
{
    /// <summary>Bilinear between source nodes, holes inside the valid hull filled first; unknown outside the hull.</summary>
    Linear,

    /// <summary>The value of the nearest valid source node; defined everywhere a section has a valid node.</summary>
    Nearest,
}

public static partial class CoordinateMaps
{
    /// <summary>
    /// Resamples a map onto another node grid (spec §3.5): destination node (i, j) at pixel
    /// ((dst.X + j)·strideX, (dst.Y + i)·strideY) gets the source map interpolated there.
    /// The values are <b>not</b> rescaled: they stay in the units they had (divide by the scale when
    /// the pixel size changes). Only the x/y part of <paramref name="destination"/> is used; the
    /// sections are those of <paramref name="map"/>.
    /// </summary>
    /// <remarks>
    /// Linear: unknown source nodes inside the hull of the valid ones are filled as in
    /// <see cref="FillMissing"/>, then the destination is sampled bilinearly; destination nodes off the
    /// source grid, or next to an unknown source node outside the hull, are unknown (SOFIMA: outside
    /// the Delaunay hull). Nearest: the nearest valid node to the source node closest to the
    /// destination position.
    /// </remarks>
    public static CoordinateMap Resample(CoordinateMap map, Box3 destination, double strideX, double strideY, ResampleMethod method = ResampleMethod.Linear)
    {
        var result = new CoordinateMap(destination with { Z = map.Box.Z, SizeZ = map.Box.SizeZ }, strideX, strideY);
        int w = map.Width, h = map.Height;
        Parallel.For(0, map.Sections, z =>
        {
            var outX = result.Dx(z);
            var outY = result.Dy(z);
            var srcX = map.Dx(z).ToArray();
            var srcY = map.Dy(z).ToArray();
            if (method == ResampleMethod.Linear)
            {
                GridFill.InterpolateInHull(srcX, srcY, w, h);
                for (int i = 0; i < result.Height; i++)
                {
                    double fy = result.NodeY(i) / map.StrideY - map.Box.Y;
                    for (int j = 0; j < result.Width; j++)
                    {
                        double fx = result.NodeX(j) / map.StrideX - map.Box.X;
                        GridSampling.Bilinear(srcX, srcY, w, h, fx, fy, clamp: false, out double vx, out double vy);
                        outX[i * result.Width + j] = (float)vx;
                        outY[i * result.Width + j] = (float)vy;
                    }
                }
                return;
            }

            int n = w * h;
            var valid = ArrayPool<bool>.Shared.Rent(n);
            var nearest = ArrayPool<int>.Shared.Rent(n);
            try
            {
                bool any = GridFill.MarkValid(srcX, srcY, valid.AsSpan(0, n)) > 0;
                GridFill.NearestValid(valid.AsSpan(0, n), w, h, nearest.AsSpan(0, n));
                for (int i = 0; i < result.Height; i++)
                {
                    int si = (int)Math.Clamp(Math.Round(result.NodeY(i) / map.StrideY - map.Box.Y), 0, h - 1);
                    for (int j = 0; j < result.Width; j++)
                    {
                        int sj = (int)Math.Clamp(Math.Round(result.NodeX(j) / map.StrideX - map.Box.X), 0, w - 1);
                        int k = any ? nearest[si * w + sj] : -1;
                        outX[i * result.Width + j] = k >= 0 ? srcX[k] : float.NaN;
                        outY[i * result.Width + j] = k >= 0 ? srcY[k] : float.NaN;
                    }
                }
            }
            finally
            {
                ArrayPool<bool>.Shared.Return(valid);
                ArrayPool<int>.Shared.Return(nearest);
            }
        });
        return result;
    }
}
