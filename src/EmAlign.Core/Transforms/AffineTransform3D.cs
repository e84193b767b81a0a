using System.Globalization;
using EmAlign.Diagnostics;

namespace EmAlign.Transforms;

/// <summary>
/// A 3D affine map T(p) = A p + t from FIXED (output) physical coordinates to MOVING (input) physical coordinates,
/// x, y, z order, in <see cref="SpatialTransform.Unit"/>; the centre of rotation is the physical origin (the centre of
/// mag-1 voxel 0, see <see cref="VoxelGrid"/>). Stored as the top three rows of the 4x4 homogeneous matrix.
/// </summary>
public sealed class AffineTransform3D : SpatialTransform
{
    private readonly double[] _m; // row-major 3x4: [a00 a01 a02 t0; a10 a11 a12 t1; a20 a21 a22 t2]

    /// <param name="matrix">12 values (the 3x4 top of the matrix, row-major) or 16 (the whole 4x4, last row 0 0 0 1).</param>
    public AffineTransform3D(ReadOnlySpan<double> matrix, string unit) : base(unit)
    {
        if (matrix.Length is not (12 or 16))
            throw new ArgumentException($"An affine matrix has 12 (3x4) or 16 (4x4) values; got {matrix.Length}.", nameof(matrix));
        if (matrix.Length == 16 && (matrix[12] != 0 || matrix[13] != 0 || matrix[14] != 0 || matrix[15] != 1))
            throw new EmAlignException(
                $"The last row of a 4x4 affine must be 0 0 0 1; found {string.Join(' ', matrix[12..].ToArray().Select(v => v.ToString("g6", CultureInfo.InvariantCulture)))}.", "matrix");
        _m = matrix[..12].ToArray();
        foreach (var v in _m)
            if (!double.IsFinite(v)) throw new EmAlignException("An affine matrix holds a NaN or infinite value: expected finite numbers.", "matrix");
    }

    public static AffineTransform3D Identity(string unit) => new([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], unit);

    /// <summary>A pure translation.</summary>
    public static AffineTransform3D Shift(double x, double y, double z, string unit) => new([1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z], unit);

    public override string Kind => "affine";

    /// <summary>Element (row, column) of the 4x4 matrix (rows and columns x, y, z, 1).</summary>
    public double this[int row, int column] => row == 3 ? (column == 3 ? 1 : 0) : _m[row * 4 + column];

    /// <summary>The 4x4 matrix, row-major, rows and columns in x, y, z, 1 order.</summary>
    public double[] ToMatrix4x4() => [.. _m, 0, 0, 0, 1];

    /// <summary>The 3x4 top rows, row-major (a method, not a property: PowerShell's formatter cannot show spans).</summary>
    public ReadOnlySpan<double> GetParameters() => _m;

    /// <summary>The translation column t (where the origin goes), x, y, z.</summary>
    public (double X, double Y, double Z) Translation => (_m[3], _m[7], _m[11]);

    /// <summary>Determinant of the linear part: the volume change (1 for rigid maps, negative for mirrors).</summary>
    public double Determinant =>
        _m[0] * (_m[5] * _m[10] - _m[6] * _m[9]) - _m[1] * (_m[4] * _m[10] - _m[6] * _m[8]) + _m[2] * (_m[4] * _m[9] - _m[5] * _m[8]);

    public override void TransformPoints(Span<double> x, Span<double> y, Span<double> z)
    {
        CheckLengths(x, y, z);
        var m = _m;
        for (int i = 0; i < x.Length; i++)
        {
            double px = x[i], py = y[i], pz = z[i];
            x[i] = m[0] * px + m[1] * py + m[2] * pz + m[3];
            y[i] = m[4] * px + m[5] * py + m[6] * pz + m[7];
            z[i] = m[8] * px + m[9] * py + m[10] * pz + m[11];
        }
    }

    /// <summary>this ∘ <paramref name="first"/>: the map that applies <paramref name="first"/> and then this.</summary>
    public AffineTransform3D After(AffineTransform3D first)
    {
        var b = first.InUnitAffine(Unit)._m;
        var a = _m;
        var r = new double[12];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 4; j++)
                r[i * 4 + j] = a[i * 4] * b[j] + a[i * 4 + 1] * b[4 + j] + a[i * 4 + 2] * b[8 + j];
            r[i * 4 + 3] += a[i * 4 + 3];
        }
        return new AffineTransform3D(r, Unit);
    }

    /// <summary>The inverse map (moving to fixed). Throws for a singular matrix.</summary>
    public AffineTransform3D Inverse()
    {
        var m = _m;
        double det = Determinant;
        double scale = Math.Abs(m[0]) + Math.Abs(m[5]) + Math.Abs(m[10]);
        if (!(Math.Abs(det) > 1e-12 * scale * scale * scale))
            throw new EmAlignException($"The affine matrix is singular (determinant {det:g3}): it has no inverse.", "matrix");
        var inv = new double[12];
        inv[0] = (m[5] * m[10] - m[6] * m[9]) / det;
        inv[1] = (m[2] * m[9] - m[1] * m[10]) / det;
        inv[2] = (m[1] * m[6] - m[2] * m[5]) / det;
        inv[4] = (m[6] * m[8] - m[4] * m[10]) / det;
        inv[5] = (m[0] * m[10] - m[2] * m[8]) / det;
        inv[6] = (m[2] * m[4] - m[0] * m[6]) / det;
        inv[8] = (m[4] * m[9] - m[5] * m[8]) / det;
        inv[9] = (m[1] * m[8] - m[0] * m[9]) / det;
        inv[10] = (m[0] * m[5] - m[1] * m[4]) / det;
        for (int i = 0; i < 3; i++)
            inv[i * 4 + 3] = -(inv[i * 4] * m[3] + inv[i * 4 + 1] * m[7] + inv[i * 4 + 2] * m[11]);
        return new AffineTransform3D(inv, Unit);
    }

    /// <summary>
    /// The same map expressed in frames shifted by (<paramref name="shiftX"/>, <paramref name="shiftY"/>, <paramref name="shiftZ"/>) (both fixed and moving coordinates written
    /// relative to that point): p' = p - shift. Used to move between block-local and volume frames.
    /// </summary>
    public AffineTransform3D Recentered(double shiftX, double shiftY, double shiftZ)
    {
        // T'(p') = T(p' + s) - s = A p' + (A s + t - s)
        var m = (double[])_m.Clone();
        double[] s = [shiftX, shiftY, shiftZ];
        for (int i = 0; i < 3; i++)
            m[i * 4 + 3] = _m[i * 4] * s[0] + _m[i * 4 + 1] * s[1] + _m[i * 4 + 2] * s[2] + _m[i * 4 + 3] - s[i];
        return new AffineTransform3D(m, Unit);
    }

    public override SpatialTransform InUnit(string unit) => InUnitAffine(unit);

    /// <summary>The same map in <paramref name="unit"/> (the linear part is unit-free; the translation scales).</summary>
    public AffineTransform3D InUnitAffine(string unit)
    {
        double f = Units.Scale(Unit, unit);
        if (f == 1) return Unit == unit ? this : new AffineTransform3D(_m, unit);
        var m = (double[])_m.Clone();
        m[3] *= f; m[7] *= f; m[11] *= f;
        return new AffineTransform3D(m, unit);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"affine ({Unit}) [{_m[0]:g6} {_m[1]:g6} {_m[2]:g6} {_m[3]:g6}; {_m[4]:g6} {_m[5]:g6} {_m[6]:g6} {_m[7]:g6}; {_m[8]:g6} {_m[9]:g6} {_m[10]:g6} {_m[11]:g6}]");
}
