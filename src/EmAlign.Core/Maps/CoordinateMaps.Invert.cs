using EmAlign.Geometry;

namespace EmAlign.Maps;

public static partial class CoordinateMaps
{
    /// <summary>
    /// Inverts a map (spec §3.7): given <paramref name="map"/> taking node p to u = p + Δ(p), returns the
    /// map on the node grid <paramref name="destination"/> (same strides; only its x/y part is used,
    /// sections are those of <paramref name="map"/>) whose node u holds p − u. Inverting a forward
    /// (raw → aligned) mesh solution gives the inverse map that rendering takes.
    /// </summary>
    /// <remarks>
    /// Method (spec §9.5, "rasterise the forward mesh"): every grid cell with four known corners is
    /// split into two triangles along the diagonal that is locally Delaunay in the mapped positions (a
    /// cell with three known corners gives its one triangle); each triangle is mapped forward, and the
    /// destination nodes inside it get the barycentric interpolation of the source node positions.
    /// This equals SOFIMA's Delaunay-on-mapped-points result wherever the mapped mesh is regular.
    /// Destination nodes covered by no mapped triangle (outside the mapped mesh, or in a hole of it)
    /// are unknown (NaN). Where the mesh folds, the first triangle in row-major cell order wins.
    /// Computed in float64.
    /// </remarks>
    public static CoordinateMap Invert(CoordinateMap map, Box3 destination)
    {
        var result = new CoordinateMap(destination with { Z = map.Box.Z, SizeZ = map.Box.SizeZ }, map.StrideX, map.StrideY);
        Parallel.For(0, map.Sections, z => InvertSection(map, z, result));
        return result;
    }

    private static void InvertSection(CoordinateMap map, int z, CoordinateMap result)
    {
        int w = map.Width, h = map.Height, n = map.PlaneLength;
        double sx = map.StrideX, sy = map.StrideY;
        // Work relative to the destination origin (precision), in destination node-index units.
        double originX = result.Box.X * sx, originY = result.Box.Y * sy;
        var u = new double[n];
        var v = new double[n];
        var px = new double[n];
        var py = new double[n];
        var known = new bool[n];
        var dx = map.Dx(z);
        var dy = map.Dy(z);
        for (int i = 0; i < h; i++)
        {
            for (int j = 0; j < w; j++)
            {
                int k = i * w + j;
                px[k] = map.NodeX(j) - originX;
                py[k] = map.NodeY(i) - originY;
                known[k] = float.IsFinite(dx[k]) && float.IsFinite(dy[k]);
                u[k] = (px[k] + dx[k]) / sx;
                v[k] = (py[k] + dy[k]) / sy;
            }
        }

        var outX = result.Dx(z);
        var outY = result.Dy(z);
        outX.Fill(float.NaN);
        outY.Fill(float.NaN);
        var written = new bool[result.PlaneLength];
        var raster = new TriangleRaster(u, v, px, py, result, z, written, sx, sy);
        for (int i = 0; i + 1 < h; i++)
        {
            for (int j = 0; j + 1 < w; j++)
            {
                int a = i * w + j, b = a + 1, c = a + w + 1, d = a + w;
                int knownCount = (known[a] ? 1 : 0) + (known[b] ? 1 : 0) + (known[c] ? 1 : 0) + (known[d] ? 1 : 0);
                if (knownCount == 4)
                {
                    if (DiagonalBdIsDelaunay(u, v, a, b, c, d))
                    {
                        raster.Fill(a, b, d);
                        raster.Fill(b, c, d);
                    }
                    else
                    {
                        raster.Fill(a, b, c);
                        raster.Fill(a, c, d);
                    }
                }
                else if (knownCount == 3)
                {
                    if (!known[a]) raster.Fill(b, c, d);
                    else if (!known[b]) raster.Fill(a, c, d);
                    else if (!known[c]) raster.Fill(a, b, d);
                    else raster.Fill(a, b, c);
                }
            }
        }
    }

    /// <summary>True when d lies strictly inside the circumcircle of (a, b, c), i.e. diagonal b–d is the Delaunay one.</summary>
    private static bool DiagonalBdIsDelaunay(double[] u, double[] v, int a, int b, int c, int d)
    {
        double adx = u[a] - u[d], ady = v[a] - v[d];
        double bdx = u[b] - u[d], bdy = v[b] - v[d];
        double cdx = u[c] - u[d], cdy = v[c] - v[d];
        double det = (adx * adx + ady * ady) * (bdx * cdy - cdx * bdy)
                   - (bdx * bdx + bdy * bdy) * (adx * cdy - cdx * ady)
                   + (cdx * cdx + cdy * cdy) * (adx * bdy - bdx * ady);
        double orient = (u[b] - u[a]) * (v[c] - v[a]) - (v[b] - v[a]) * (u[c] - u[a]);
        return det * Math.Sign(orient) > 1e-12 * Math.Abs(det + 1);
    }

    /// <summary>Writes barycentric interpolations of source positions into the destination nodes a triangle covers.</summary>
    private readonly ref struct TriangleRaster(double[] u, double[] v, double[] px, double[] py, CoordinateMap result, int z, bool[] written, double sx, double sy)
    {
        private const double Inside = -1e-9;

        public void Fill(int a, int b, int c)
        {
            double ua = u[a], va = v[a], ub = u[b], vb = v[b], uc = u[c], vc = v[c];
            double denom = (vb - vc) * (ua - uc) + (uc - ub) * (va - vc);
            if (!(Math.Abs(denom) > 1e-12)) return;
            int j0 = Math.Max(0, (int)Math.Ceiling(Math.Min(ua, Math.Min(ub, uc)) - 1e-9));
            int j1 = Math.Min(result.Width - 1, (int)Math.Floor(Math.Max(ua, Math.Max(ub, uc)) + 1e-9));
            int i0 = Math.Max(0, (int)Math.Ceiling(Math.Min(va, Math.Min(vb, vc)) - 1e-9));
            int i1 = Math.Min(result.Height - 1, (int)Math.Floor(Math.Max(va, Math.Max(vb, vc)) + 1e-9));
            var outX = result.Dx(z);
            var outY = result.Dy(z);
            for (int i = i0; i <= i1; i++)
            {
                for (int j = j0; j <= j1; j++)
                {
                    int k = i * result.Width + j;
                    if (written[k]) continue;
                    double l1 = ((vb - vc) * (j - uc) + (uc - ub) * (i - vc)) / denom;
                    double l2 = ((vc - va) * (j - uc) + (ua - uc) * (i - vc)) / denom;
                    double l3 = 1 - l1 - l2;
                    if (l1 < Inside || l2 < Inside || l3 < Inside) continue;
                    outX[k] = (float)(l1 * px[a] + l2 * px[b] + l3 * px[c] - j * sx);
                    outY[k] = (float)(l1 * py[a] + l2 * py[b] + l3 * py[c] - i * sy);
                    written[k] = true;
                }
            }
        }
    }
}
